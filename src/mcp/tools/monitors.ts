// Monitor tools: create, list, get, update, delete, pause, resume.
import { z } from 'zod';
import { allOptional, MONITOR_STATUSES, monitorFields, settingsFields } from '../../monitors/definition.js';
import type { Owner } from '../../monitors/service.js';
import { defineTool, type ToolContext } from '../define-tool.js';
import { fitPage, nextCursorField, pageFields } from '../lists.js';

export const owner = (ctx: ToolContext): Owner => ({ userId: ctx.session.userId, tier: ctx.session.tier });

const Id = z.string().max(64, 'is not a monitor id').describe('The monitor id, from list_monitors or create_monitor.');

const ResultSchema = z.object({
  checkedAt: z.string().describe('When the check ran (ISO 8601).'),
  status: z.string().describe('up or down.'),
  latencyMs: z.number().nullable().describe('How long the check took.'),
  statusCode: z.number().nullable().describe('http: the response status.'),
  value: z.number().nullable().describe('The extracted value (jsonPath, certificate days left), if any.'),
  error: z.string().nullable().describe('Why the check failed, if it did.'),
});

const SummaryShape = {
  id: z.string().describe('Opaque monitor id.'),
  name: z.string().describe('The monitor name.'),
  type: z.string().describe('http, tcp, dns or tls.'),
  target: z.string().describe('What is checked (URL, host:port, name).'),
  status: z.string().describe('up, down, unknown (not checked yet) or paused.'),
  enabled: z.boolean().describe('false while paused.'),
  intervalSeconds: z.number().describe('Seconds between checks.'),
  lastCheckedAt: z.string().nullable().describe('When it was last checked (ISO 8601), or null.'),
  lastLatencyMs: z.number().nullable().describe('Latency of the last check.'),
  lastError: z.string().nullable().describe('Error of the last check, if it failed.'),
};

const SettingsSchema = z
  .object(allOptional(settingsFields))
  .describe(
    'The type-specific settings (method, headers, body, expectedStatus, keyword, jsonPath, recordType, assertions, ...).',
  );

const MonitorSchema = z
  .object({
    ...SummaryShape,
    timeoutMs: z.number().describe('Deadline of one check in milliseconds.'),
    settings: SettingsSchema,
    lastValue: z.number().nullable().describe('The last extracted value, if any.'),
    createdAt: z.string().describe('When it was created (ISO 8601).'),
    updatedAt: z.string().describe('When it was last changed (ISO 8601).'),
    latestResult: ResultSchema.nullable().optional().describe('The newest stored result, or null if never checked.'),
  })
  .describe('A monitor with its settings and state.');

const SummarySchema = z.object(SummaryShape).describe('A monitor, in brief.');

const settingsInput = {
  intervalSeconds: monitorFields.intervalSeconds.optional(),
  timeoutMs: monitorFields.timeoutMs.optional(),
  enabled: monitorFields.enabled.optional(),
  ...allOptional(settingsFields),
};

const annotationsWrite = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };
const annotationsRead = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

export const createMonitor = defineTool({
  name: 'create_monitor',
  title: 'Create a monitor',
  description:
    'Create a scheduled check of a website or API (http), a port (tcp), a DNS name (dns) or a TLS certificate (tls). ' +
    'Use secrets for credentials: store them with set_secret, then write {{secrets.NAME}} in the URL, headers or body. ' +
    'The interval must be at least the plan minimum (free: 300 s). Example: {"name": "API health", "type": "http", ' +
    '"target": "https://api.example.com/health", "headers": {"Authorization": "Bearer {{secrets.API_TOKEN}}"}, ' +
    '"assertions": [{"source": "json", "path": "status", "op": "eq", "value": "ok"}]}.',
  input: z.strictObject({ name: monitorFields.name, type: monitorFields.type, target: monitorFields.target, ...settingsInput }),
  output: z.object({ monitor: MonitorSchema }),
  annotations: annotationsWrite,
  async handler(args, ctx) {
    const { monitors } = await ctx.app.services();
    return { monitor: await monitors.create(owner(ctx), args) };
  },
});

export const listMonitors = defineTool({
  name: 'list_monitors',
  title: 'List monitors',
  description:
    'List your monitors with their current status, oldest first, a page at a time. Filter by status (up, down, ' +
    'unknown, paused) or by text in the name or target. Example: {"status": "down", "limit": 20}.',
  input: z.strictObject({
    status: z.enum(MONITOR_STATUSES).optional().describe('Only monitors in this status.'),
    query: z.string().max(200).optional().describe('Only monitors whose name or target contains this text (any case).'),
    ...pageFields,
  }),
  output: z.object({ monitors: z.array(SummarySchema).describe('This page of monitors.'), nextCursor: nextCursorField }),
  annotations: annotationsRead,
  async handler({ status, query, limit, cursor }, ctx) {
    const { monitors } = await ctx.app.services();
    const page = fitPage(await monitors.list(owner(ctx), { status, query, limit: limit ?? 50, cursor }));
    return { monitors: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  },
});

export const getMonitor = defineTool({
  name: 'get_monitor',
  title: 'Get a monitor',
  description:
    'Get one monitor with all its settings, its state and its latest result. Example: {"id": "q3J9x0sKQ0aV7m1wZb2L4g"}.',
  input: z.strictObject({ id: Id }),
  output: z.object({ monitor: MonitorSchema }),
  annotations: annotationsRead,
  async handler({ id }, ctx) {
    const { monitors } = await ctx.app.services();
    return { monitor: await monitors.get(owner(ctx), id) };
  },
});

export const updateMonitor = defineTool({
  name: 'update_monitor',
  title: 'Change a monitor',
  description:
    'Change any settings of a monitor; fields you leave out keep their values. Changing the type starts its ' +
    'settings afresh. Example: {"id": "q3J9x0sKQ0aV7m1wZb2L4g", "intervalSeconds": 600, "keyword": "Welcome"}.',
  input: z.strictObject({
    id: Id,
    name: monitorFields.name.optional(),
    type: monitorFields.type.optional(),
    target: monitorFields.target.optional(),
    ...settingsInput,
  }),
  output: z.object({ monitor: MonitorSchema }),
  annotations: { ...annotationsWrite, idempotentHint: true },
  async handler({ id, ...fields }, ctx) {
    const { monitors } = await ctx.app.services();
    return { monitor: await monitors.update(owner(ctx), id, fields) };
  },
});

export const deleteMonitor = defineTool({
  name: 'delete_monitor',
  title: 'Delete a monitor',
  description:
    'Delete a monitor for good, with its results, the alert rules made for it alone, and its alerts. To stop it for a ' +
    'while instead, use pause_monitor. Example: {"id": "q3J9x0sKQ0aV7m1wZb2L4g"}.',
  input: z.strictObject({ id: Id }),
  output: z.object({ deleted: z.boolean().describe('True once deleted.'), id: z.string().describe('The id that was deleted.') }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async handler({ id }, ctx) {
    const { monitors } = await ctx.app.services();
    await monitors.remove(owner(ctx), id);
    return { deleted: true, id };
  },
});

export const pauseMonitor = defineTool({
  name: 'pause_monitor',
  title: 'Pause a monitor',
  description:
    'Stop checking a monitor until resume_monitor; its settings and history are kept. Example: {"id": "q3J9x0sKQ0aV7m1wZb2L4g"}.',
  input: z.strictObject({ id: Id }),
  output: z.object({ monitor: MonitorSchema }),
  annotations: { ...annotationsWrite, idempotentHint: true },
  async handler({ id }, ctx) {
    const { monitors } = await ctx.app.services();
    return { monitor: await monitors.setEnabled(owner(ctx), id, false) };
  },
});

export const resumeMonitor = defineTool({
  name: 'resume_monitor',
  title: 'Resume a monitor',
  description: 'Start checking a paused monitor again; the first check runs soon. Example: {"id": "q3J9x0sKQ0aV7m1wZb2L4g"}.',
  input: z.strictObject({ id: Id }),
  output: z.object({ monitor: MonitorSchema }),
  annotations: { ...annotationsWrite, idempotentHint: true },
  async handler({ id }, ctx) {
    const { monitors } = await ctx.app.services();
    return { monitor: await monitors.setEnabled(owner(ctx), id, true) };
  },
});

export const getMonitorHistory = defineTool({
  name: 'get_monitor_history',
  title: 'Monitor history',
  description:
    'The stored results of one monitor, newest first, a page at a time, with a summary over the whole window: ' +
    'checks, uptime % and p50/p95 latency of successful checks. The window starts at since (default: 24 hours ago). ' +
    'Use it for "how has X been doing?". Example: {"id": "q3J9x0sKQ0aV7m1wZb2L4g", "since": "2026-12-01T00:00:00Z", "limit": 20}.',
  input: z.strictObject({
    id: Id,
    since: z
      .string()
      .max(40, 'must be a date and time such as "2026-12-01T00:00:00Z"')
      .optional()
      .describe('Start of the window (ISO 8601); default 24 hours ago.'),
    ...pageFields,
  }),
  output: z.object({
    results: z.array(ResultSchema).describe('This page of results, newest first.'),
    summary: z
      .object({
        from: z.string().describe('Start of the window (ISO 8601).'),
        to: z.string().describe('End of the window: now (ISO 8601).'),
        checks: z.number().describe('Results in the window.'),
        uptimePercent: z.number().nullable().describe('Share of results that were up, in percent; null with no results.'),
        p50LatencyMs: z.number().nullable().describe('Median latency of successful checks.'),
        p95LatencyMs: z.number().nullable().describe('95th percentile latency of successful checks.'),
      })
      .describe('Over the whole window, not just this page.'),
    nextCursor: nextCursorField,
  }),
  annotations: annotationsRead,
  async handler({ id, since, limit, cursor }, ctx) {
    const { monitors } = await ctx.app.services();
    const h = await monitors.history(owner(ctx), id, { since, limit: limit ?? 50, cursor });
    const page = fitPage(h);
    return {
      results: page.items.map(({ id: _id, ...r }) => r),
      summary: h.summary,
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  },
});

export const monitorTools = [
  createMonitor,
  listMonitors,
  getMonitor,
  getMonitorHistory,
  updateMonitor,
  deleteMonitor,
  pauseMonitor,
  resumeMonitor,
];
export { MonitorSchema, ResultSchema };
