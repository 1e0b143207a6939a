// Rows as the person sees them: camelCase, ISO dates, no internal columns.
import type { MonitorRow, ResultRow } from '../store/monitors.js';
import type { MonitorDefinition, MonitorSettings } from './definition.js';

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

export interface ResultView {
  checkedAt: string;
  status: string;
  latencyMs: number | null;
  statusCode: number | null;
  value: number | null;
  error: string | null;
}

export function resultView(r: ResultRow): ResultView {
  return {
    checkedAt: iso(r.checked_at)!,
    status: r.status,
    latencyMs: r.latency_ms,
    statusCode: r.status_code,
    value: r.value,
    error: r.error,
  };
}

export function monitorSummary(m: MonitorRow) {
  return {
    id: m.id,
    name: m.name,
    type: m.type,
    target: m.target,
    status: m.status,
    enabled: Boolean(m.enabled),
    intervalSeconds: m.interval_seconds,
    lastCheckedAt: iso(m.last_checked_at),
    lastLatencyMs: m.last_latency_ms,
    lastError: m.last_error === null ? null : m.last_error.slice(0, 300),
  };
}

export function monitorView(m: MonitorRow) {
  return {
    ...monitorSummary(m),
    timeoutMs: m.timeout_ms,
    settings: JSON.parse(m.settings) as MonitorSettings,
    lastValue: m.last_value,
    lastError: m.last_error,
    createdAt: iso(m.created_at)!,
    updatedAt: iso(m.updated_at)!,
  };
}

export type MonitorSummary = ReturnType<typeof monitorSummary>;
export type MonitorView = ReturnType<typeof monitorView>;
export { iso };

/** The stored definition of a monitor row, as checks and updates take it. */
export function definitionOf(row: MonitorRow): MonitorDefinition {
  return {
    name: row.name,
    type: row.type as MonitorDefinition['type'],
    target: row.target,
    intervalSeconds: row.interval_seconds,
    timeoutMs: row.timeout_ms,
    enabled: Boolean(row.enabled),
    settings: JSON.parse(row.settings) as MonitorSettings,
  };
}
