// Monitors of one person: create, read, change, pause, delete, within the
// limits of their plan. Every query is scoped by the person's user id, and
// "not found" reads the same whether the row is someone else's or absent.
import { type Kysely, sql } from 'kysely';
import type { Config } from '../config.js';
import { InvalidInput, NotFound } from '../errors.js';
import { newId } from '../infra/ids.js';
import { type HistoryStore, type MonitorListFilter, type MonitorRow, type MonitorsStore, searchText } from '../store/monitors.js';
import { decodeCursor, encodeCursor } from '../store/pagination.js';
import type { Tables } from '../store/schema.js';
import type { SecretsStore } from '../store/secrets.js';
import { buildDefinition, type MonitorDefinition, type MonitorInput, secretRefs } from './definition.js';

export { MONITOR_STATUSES } from './definition.js';

import { checkConfiguredHost, targetHost } from './guard.js';
import { overLimit, planFor } from './plans.js';
import {
  definitionOf,
  type MonitorSummary,
  type MonitorView,
  monitorSummary,
  monitorView,
  type ResultView,
  resultView,
} from './views.js';

export interface Owner {
  userId: string;
  tier: string;
}

export class MonitorNotFound extends NotFound {
  constructor() {
    super('No monitor with that id: call list_monitors to see your monitors and their ids.');
  }
}

export interface MonitorDeps {
  db: Kysely<Tables>;
  monitors: MonitorsStore;
  history: HistoryStore;
  secrets: SecretsStore;
  config: Pick<Config, 'plans' | 'allowPrivateTargets'>;
  now?: () => number;
}

export class MonitorService {
  private readonly now: () => number;
  constructor(private readonly deps: MonitorDeps) {
    this.now = deps.now ?? Date.now;
  }

  private async checkSecrets(owner: Owner, def: MonitorDefinition): Promise<void> {
    const refs = secretRefs(def);
    if (refs.length === 0) return;
    const have = await this.deps.secrets.existing(owner.userId, refs);
    const missing = refs.filter((r) => !have.has(r));
    if (missing.length > 0) {
      throw new InvalidInput(
        `The monitor refers to {{secrets.${missing[0]}}}, but you have no secret named ${missing[0]}: create it with set_secret first.`,
      );
    }
  }

  private checkInterval(owner: Owner, def: MonitorDefinition): void {
    const { tier, plan } = planFor(this.deps.config, owner.tier);
    if (def.intervalSeconds < plan.minIntervalSeconds) {
      throw new InvalidInput(
        `intervalSeconds must be at least ${plan.minIntervalSeconds} on the ${tier} plan; you asked for ${def.intervalSeconds}.`,
      );
    }
  }

  /** Refuses, at once, targets the checks would refuse anyway: private IP literals and localhost. */
  private checkTargetAddress(def: MonitorDefinition): void {
    const host = targetHost(def.type, def.target);
    if (host) checkConfiguredHost(host, this.deps.config.allowPrivateTargets);
  }

  private duplicateName(name: string): InvalidInput {
    return new InvalidInput(`You already have a monitor named "${name}": choose another name, or update that one.`);
  }

  async create(owner: Owner, input: MonitorInput): Promise<MonitorView> {
    const { tier, plan } = planFor(this.deps.config, owner.tier);
    const def = buildDefinition(input, { intervalSeconds: plan.minIntervalSeconds });
    this.checkInterval(owner, def);
    this.checkTargetAddress(def);
    await this.checkSecrets(owner, def);
    const now = this.now();
    const row: MonitorRow = {
      id: newId(),
      user_id: owner.userId,
      name: def.name,
      type: def.type,
      target: def.target,
      settings: JSON.stringify(def.settings),
      interval_seconds: def.intervalSeconds,
      timeout_ms: def.timeoutMs,
      enabled: def.enabled ? 1 : 0,
      status: def.enabled ? 'unknown' : 'paused',
      last_checked_at: null,
      last_latency_ms: null,
      last_value: null,
      last_error: null,
      next_run_at: def.enabled ? now : null,
      search_text: searchText(def.name, def.target),
      lease_owner: null,
      lease_expires_at: null,
      created_at: now,
      updated_at: now,
    };
    // The count and the insert run under a lock on the person's row, so two
    // parallel creates cannot both squeeze under the plan limit.
    await this.deps.db.transaction().execute(async (tx) => {
      await tx.updateTable('users').set({ updated_at: sql`updated_at` }).where('id', '=', owner.userId).execute();
      const { n } = await tx
        .selectFrom('monitors')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_id', '=', owner.userId)
        .executeTakeFirstOrThrow();
      if (Number(n) >= plan.maxMonitors) throw overLimit('monitors', plan.maxMonitors, tier);
      const clash = await tx
        .selectFrom('monitors')
        .select('id')
        .where('user_id', '=', owner.userId)
        .where('name', '=', def.name)
        .executeTakeFirst();
      if (clash) throw this.duplicateName(def.name);
      await tx.insertInto('monitors').values(row).execute();
    });
    return monitorView(row);
  }

  async require(owner: Owner, id: string): Promise<MonitorRow> {
    const row = await this.deps.monitors.find(owner.userId, id);
    if (!row) throw new MonitorNotFound();
    return row;
  }

  async get(
    owner: Owner,
    id: string,
    recent = 1,
  ): Promise<MonitorView & { latestResult: ResultView | null; recentResults?: ResultView[] }> {
    const row = await this.require(owner, id);
    const results = (await this.deps.monitors.recentResults(owner.userId, id, recent)).map(resultView);
    return { ...monitorView(row), latestResult: results[0] ?? null, ...(recent > 1 ? { recentResults: results } : {}) };
  }

  async list(
    owner: Owner,
    f: { status?: string; query?: string; limit: number; cursor?: string },
  ): Promise<{ items: MonitorSummary[]; cursorAfter: (m: MonitorSummary) => string; more: boolean }> {
    const filter: MonitorListFilter = { limit: f.limit + 1 };
    if (f.status) filter.status = f.status;
    if (f.query?.trim()) filter.query = f.query.trim();
    const after = decodeCursor(f.cursor);
    if (after) filter.after = after;
    const rows = await this.deps.monitors.list(owner.userId, filter);
    const more = rows.length > f.limit;
    const page = rows.slice(0, f.limit);
    const createdAt = new Map(page.map((r) => [r.id, Number(r.created_at)]));
    return {
      items: page.map(monitorSummary),
      cursorAfter: (m) => encodeCursor({ at: createdAt.get(m.id)!, id: m.id }),
      more,
    };
  }

  async update(owner: Owner, id: string, input: MonitorInput): Promise<MonitorView> {
    const row = await this.require(owner, id);
    const { plan } = planFor(this.deps.config, owner.tier);
    const base = definitionOf(row);
    const def = buildDefinition(input, { intervalSeconds: plan.minIntervalSeconds }, base);
    if (input.intervalSeconds !== undefined || def.intervalSeconds < plan.minIntervalSeconds) this.checkInterval(owner, def);
    if (def.type !== row.type || def.target !== row.target) this.checkTargetAddress(def);
    await this.checkSecrets(owner, def);
    if (def.name !== row.name) {
      const clash = await this.deps.monitors.findByName(owner.userId, def.name);
      if (clash && clash.id !== id) throw this.duplicateName(def.name);
    }
    const now = this.now();
    const patch: Partial<MonitorRow> = {
      name: def.name,
      type: def.type,
      target: def.target,
      settings: JSON.stringify(def.settings),
      interval_seconds: def.intervalSeconds,
      timeout_ms: def.timeoutMs,
      enabled: def.enabled ? 1 : 0,
      search_text: searchText(def.name, def.target),
      updated_at: now,
    };
    if (def.enabled !== Boolean(row.enabled)) {
      patch.status = def.enabled ? 'unknown' : 'paused';
      patch.next_run_at = def.enabled ? now : null;
      patch.lease_owner = null;
      patch.lease_expires_at = null;
    } else if (def.type !== row.type || def.target !== row.target) {
      patch.status = def.enabled ? 'unknown' : 'paused';
      patch.next_run_at = def.enabled ? now : null;
    }
    try {
      if (!(await this.deps.monitors.update(owner.userId, id, patch))) throw new MonitorNotFound();
    } catch (err) {
      if (isUniqueViolation(err)) throw this.duplicateName(def.name);
      throw err;
    }
    return monitorView({ ...row, ...patch } as MonitorRow);
  }

  async setEnabled(owner: Owner, id: string, enabled: boolean): Promise<MonitorView> {
    const row = await this.require(owner, id);
    if (Boolean(row.enabled) === enabled) return monitorView(row);
    const now = this.now();
    const patch = {
      enabled: enabled ? 1 : 0,
      status: enabled ? 'unknown' : 'paused',
      next_run_at: enabled ? now : null,
      // A check cut short by a pause leaves its lease; resuming clears it so the next check is not held up.
      lease_owner: null,
      lease_expires_at: null,
      updated_at: now,
    };
    if (!(await this.deps.monitors.update(owner.userId, id, patch))) throw new MonitorNotFound();
    return monitorView({ ...row, ...patch });
  }

  /** Results newest first, a page at a time, with uptime and latency percentiles over the whole window. */
  async history(owner: Owner, id: string, f: { since?: string; limit: number; cursor?: string }) {
    await this.require(owner, id);
    const until = this.now();
    let since = until - 86_400_000;
    if (f.since !== undefined) {
      since = Date.parse(f.since);
      if (Number.isNaN(since)) throw new InvalidInput('since must be a date and time such as "2026-12-01T00:00:00Z".');
      if (since > until) throw new InvalidInput('since is in the future: give a time in the past.');
    }
    const w = { since, until };
    const h = this.deps.history;
    const rows = await h.page(owner.userId, id, w, f.limit + 1, decodeCursor(f.cursor));
    const page = rows.slice(0, f.limit);
    const { total, up } = await h.counts(owner.userId, id, w);
    const timed = total > 0 ? await h.countWithLatency(owner.userId, id, w) : 0;
    const pct = (p: number) =>
      timed > 0 ? h.latencyAtRank(owner.userId, id, w, Math.max(0, Math.ceil(p * timed) - 1)) : Promise.resolve(null);
    const [p50, p95] = await Promise.all([pct(0.5), pct(0.95)]);
    const keys = new Map(page.map((r) => [r.id, { at: Number(r.checked_at), id: r.id }]));
    return {
      items: page.map((r) => ({ ...resultView(r), id: r.id })),
      cursorAfter: (r: { id: string }) => encodeCursor(keys.get(r.id)!),
      more: rows.length > f.limit,
      summary: {
        from: new Date(since).toISOString(),
        to: new Date(until).toISOString(),
        checks: total,
        uptimePercent: total > 0 ? Math.round((up / total) * 10_000) / 100 : null,
        p50LatencyMs: p50,
        p95LatencyMs: p95,
      },
    };
  }

  async remove(owner: Owner, id: string): Promise<void> {
    if (!(await this.deps.monitors.remove(owner.userId, id))) throw new MonitorNotFound();
  }
}

export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
