// Alert rule and alert tools.
import { z } from 'zod';
import { ALERT_STATES, ChannelSchema, ConditionSchema, SEVERITIES } from '../../monitors/alert-schema.js';
import { defineTool } from '../define-tool.js';
import { fitPage, nextCursorField, pageFields } from '../lists.js';
import { owner } from './monitors.js';

const RuleId = z.string().max(64, 'is not a rule id').describe('The rule id, from list_alert_rules or create_alert_rule.');
const AlertId = z.string().max(64, 'is not an alert id').describe('The alert id, from list_alerts.');
const MonitorId = z.string().max(64, 'is not a monitor id');

const ruleFields = {
  name: z.string().max(200).describe('A name for the rule (default: made from the condition and monitor).'),
  forChecks: z.number().int().min(1).max(100).describe('Matching results in a row before it fires, 1-100 (default 2).'),
  recoverChecks: z
    .number()
    .int()
    .min(1)
    .max(100)
    .describe('Non-matching results in a row before it resolves, 1-100 (default 2).'),
  severity: z.enum(SEVERITIES).describe('info, warning (default) or critical.'),
  channels: z.array(ChannelSchema).max(5).describe('Where to notify (default [{"type": "email"}]).'),
  repeatMinutes: z
    .number()
    .int()
    .describe('Notify again every N minutes while firing and not acknowledged; 0 = never (default).'),
  enabled: z.boolean().describe('false keeps the rule but stops it (default true).'),
};

const RuleSchema = z
  .object({
    id: z.string().describe('Opaque rule id.'),
    name: z.string().describe('The rule name.'),
    monitorId: z.string().nullable().describe('The monitor it watches, or null for all your monitors.'),
    condition: ConditionSchema,
    forChecks: z.number().describe('Matching results in a row before it fires.'),
    recoverChecks: z.number().describe('Non-matching results in a row before it resolves.'),
    severity: z.string().describe('info, warning or critical.'),
    channels: z.array(ChannelSchema).describe('Where notifications go.'),
    repeatMinutes: z.number().nullable().describe('Re-notify interval while firing, or null.'),
    enabled: z.boolean().describe('Whether the rule is active.'),
    createdAt: z.string().describe('When it was created (ISO 8601).'),
    updatedAt: z.string().describe('When it was last changed (ISO 8601).'),
  })
  .describe('An alert rule.');

const AlertSchema = z
  .object({
    id: z.string().describe('Opaque alert id.'),
    ruleId: z.string().describe('The rule that raised it.'),
    monitorId: z.string().describe('The monitor it is about.'),
    state: z.string().describe('firing, acknowledged or resolved.'),
    severity: z.string().describe('info, warning or critical.'),
    message: z.string().describe('What happened.'),
    openedAt: z.string().describe('When it fired (ISO 8601).'),
    acknowledgedAt: z.string().nullable().describe('When it was acknowledged, or null.'),
    resolvedAt: z.string().nullable().describe('When it was resolved, or null.'),
  })
  .describe('An alert raised by a rule.');

const write = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };
const read = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

export const createAlertRule = defineTool({
  name: 'create_alert_rule',
  title: 'Create an alert rule',
  description:
    'Raise an alert when a monitor (or any of your monitors, if monitorId is left out) matches a condition for ' +
    'forChecks results in a row, and notify by email or webhook. Conditions: down, latencyAbove {ms}, valueAbove ' +
    '{value}, valueBelow {value}, certExpiresWithin {days}. A notification goes out when the alert fires and when it ' +
    'resolves (and every repeatMinutes while firing, until acknowledged). ' +
    'Example: {"monitorId": "q3J9x0sKQ0aV7m1wZb2L4g", ' +
    '"condition": {"type": "down"}, "forChecks": 2, "severity": "critical", "channels": [{"type": "email"}]}.',
  input: z.strictObject({
    monitorId: MonitorId.optional().describe('The monitor to watch; leave out for all your monitors.'),
    condition: ConditionSchema,
    ...(Object.fromEntries(Object.entries(ruleFields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof ruleFields]: z.ZodOptional<(typeof ruleFields)[K]>;
    }),
  }),
  output: z.object({ rule: RuleSchema }),
  annotations: write,
  async handler(args, ctx) {
    const { rules } = await ctx.app.services();
    return { rule: await rules.create(owner(ctx), args) };
  },
});

export const listAlertRules = defineTool({
  name: 'list_alert_rules',
  title: 'List alert rules',
  description:
    'List your alert rules, oldest first, optionally only those of one monitor. Example: {"monitorId": "q3J9x0sKQ0aV7m1wZb2L4g"}.',
  input: z.strictObject({ monitorId: MonitorId.optional().describe('Only rules for this monitor.'), ...pageFields }),
  output: z.object({ rules: z.array(RuleSchema).describe('This page of rules.'), nextCursor: nextCursorField }),
  annotations: read,
  async handler({ monitorId, limit, cursor }, ctx) {
    const { rules } = await ctx.app.services();
    const page = fitPage(await rules.list(owner(ctx), { monitorId, limit: limit ?? 50, cursor }));
    return { rules: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  },
});

export const updateAlertRule = defineTool({
  name: 'update_alert_rule',
  title: 'Change an alert rule',
  description:
    'Change an alert rule; fields you leave out keep their values. monitorId null makes it watch all your monitors. ' +
    'Example: {"id": "Xk2v9QpL0sJm3nB7cD1eFg", "condition": {"type": "latencyAbove", "ms": 1500}, "enabled": true}.',
  input: z.strictObject({
    id: RuleId,
    monitorId: MonitorId.nullable().optional().describe('The monitor to watch, or null for all your monitors.'),
    condition: ConditionSchema.optional(),
    ...(Object.fromEntries(Object.entries(ruleFields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof ruleFields]: z.ZodOptional<(typeof ruleFields)[K]>;
    }),
  }),
  output: z.object({ rule: RuleSchema }),
  annotations: { ...write, idempotentHint: true },
  async handler({ id, ...fields }, ctx) {
    const { rules } = await ctx.app.services();
    return { rule: await rules.update(owner(ctx), id, fields) };
  },
});

export const deleteAlertRule = defineTool({
  name: 'delete_alert_rule',
  title: 'Delete an alert rule',
  description: 'Delete an alert rule for good; its open alerts are resolved. Example: {"id": "Xk2v9QpL0sJm3nB7cD1eFg"}.',
  input: z.strictObject({ id: RuleId }),
  output: z.object({ deleted: z.boolean().describe('True once deleted.'), id: z.string().describe('The id that was deleted.') }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async handler({ id }, ctx) {
    const { rules } = await ctx.app.services();
    await rules.remove(owner(ctx), id);
    return { deleted: true, id };
  },
});

export const listAlerts = defineTool({
  name: 'list_alerts',
  title: 'List alerts',
  description:
    'List alerts, newest first. state "open" means firing or acknowledged. Use it to answer "is anything wrong?". ' +
    'Example: {"state": "open"}.',
  input: z.strictObject({
    state: z
      .enum([...ALERT_STATES, 'open'])
      .optional()
      .describe('firing, acknowledged, resolved, or open (firing + acknowledged).'),
    monitorId: MonitorId.optional().describe('Only alerts about this monitor.'),
    ...pageFields,
  }),
  output: z.object({ alerts: z.array(AlertSchema).describe('This page of alerts.'), nextCursor: nextCursorField }),
  annotations: read,
  async handler({ state, monitorId, limit, cursor }, ctx) {
    const { alerts } = await ctx.app.services();
    const page = fitPage(await alerts.list(owner(ctx), { state, monitorId, limit: limit ?? 50, cursor }));
    return { alerts: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  },
});

export const acknowledgeAlert = defineTool({
  name: 'acknowledge_alert',
  title: 'Acknowledge an alert',
  description:
    'Mark a firing alert as seen: it stays open but is not notified again. Acknowledging twice is fine. ' +
    'Example: {"id": "Vb7nQ2xLk9sPq0mZ4cR1tA"}.',
  input: z.strictObject({ id: AlertId }),
  output: z.object({ alert: AlertSchema }),
  annotations: { ...write, idempotentHint: true },
  async handler({ id }, ctx) {
    const { alerts } = await ctx.app.services();
    return { alert: await alerts.acknowledge(owner(ctx), id) };
  },
});

export const resolveAlert = defineTool({
  name: 'resolve_alert',
  title: 'Resolve an alert',
  description:
    'Close an alert by hand (rules also resolve alerts themselves when the monitor recovers). Resolving a resolved ' +
    'alert is fine. Example: {"id": "Vb7nQ2xLk9sPq0mZ4cR1tA"}.',
  input: z.strictObject({ id: AlertId }),
  output: z.object({ alert: AlertSchema }),
  annotations: { ...write, idempotentHint: true },
  async handler({ id }, ctx) {
    const { alerts } = await ctx.app.services();
    return { alert: await alerts.resolve(owner(ctx), id) };
  },
});

export const alertTools = [
  createAlertRule,
  listAlertRules,
  updateAlertRule,
  deleteAlertRule,
  listAlerts,
  acknowledgeAlert,
  resolveAlert,
];
export { AlertSchema };
