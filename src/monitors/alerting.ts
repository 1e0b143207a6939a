// Alert rules and alerts of one person: their data and state changes. The
// evaluation of rules against results belongs to the engine.
import { type Kysely, sql } from 'kysely';
import type { Config } from '../config.js';
import { InvalidInput, NotFound } from '../errors.js';
import { newId } from '../infra/ids.js';
import type { AlertFilter, AlertRow, AlertRulesStore, AlertsStore, RuleRow } from '../store/alerts.js';
import type { MonitorsStore } from '../store/monitors.js';
import { decodeCursor, encodeCursor } from '../store/pagination.js';
import type { Tables } from '../store/schema.js';
import {
  ALERT_STATES,
  type Channel,
  ChannelSchema,
  CONDITION_TYPES,
  type Condition,
  ConditionSchema,
  SEVERITIES,
} from './alert-schema.js';
import { checkConfiguredHost } from './guard.js';
import { enqueueNotifications } from './notifications.js';
import { overLimit, planFor } from './plans.js';
import { MonitorNotFound, type Owner } from './service.js';
import { iso } from './views.js';

export { ALERT_STATES, type Channel, ChannelSchema, CONDITION_TYPES, type Condition, ConditionSchema, SEVERITIES };

export interface RuleInput {
  name?: string;
  monitorId?: string | null;
  condition?: Condition;
  forChecks?: number;
  recoverChecks?: number;
  severity?: (typeof SEVERITIES)[number];
  channels?: Channel[];
  repeatMinutes?: number;
  enabled?: boolean;
}

const bad = (msg: string): never => {
  throw new InvalidInput(msg);
};

function checkCondition(c: Condition): Condition {
  const needs: Record<Condition['type'], 'ms' | 'value' | 'days' | undefined> = {
    down: undefined,
    latencyAbove: 'ms',
    valueAbove: 'value',
    valueBelow: 'value',
    certExpiresWithin: 'days',
  };
  const field = needs[c.type];
  for (const f of ['ms', 'value', 'days'] as const) {
    if (f !== field && c[f] !== undefined) bad(`condition.${f} does not apply to a ${c.type} condition.`);
  }
  if (field && c[field] === undefined) bad(`A ${c.type} condition needs condition.${field}.`);
  if (c.ms !== undefined && (c.ms < 1 || c.ms > 600_000)) bad('condition.ms must be between 1 and 600000.');
  if (c.days !== undefined && (c.days < 1 || c.days > 3650)) bad('condition.days must be between 1 and 3650.');
  if (c.value !== undefined && !Number.isFinite(c.value)) bad('condition.value must be a finite number.');
  return c;
}

function checkChannels(channels: Channel[], allowPrivate: boolean): Channel[] {
  if (channels.length === 0) bad('channels must name at least one channel, e.g. [{"type": "email"}].');
  if (channels.length > 5) bad('At most 5 channels per rule.');
  return channels.map((ch, i) => {
    if (ch.type === 'email') {
      if (ch.url !== undefined) bad(`channels[${i}]: an email channel takes no url (mail goes to your sign-in address).`);
      return { type: 'email' };
    }
    if (!ch.url) bad(`channels[${i}]: a webhook channel needs a url.`);
    let u: URL;
    try {
      u = new URL(ch.url!);
    } catch {
      return bad(`channels[${i}]: "${ch.url!.slice(0, 80)}" is not a URL.`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') bad(`channels[${i}]: a webhook URL must be http or https.`);
    try {
      checkConfiguredHost(u.hostname, allowPrivate);
    } catch (err) {
      bad(`channels[${i}]: ${(err as Error).message}`);
    }
    return { type: 'webhook', url: u.toString() };
  });
}

function intIn(v: number | undefined, name: string, lo: number, hi: number): void {
  if (v !== undefined && (v < lo || v > hi)) bad(`${name} must be between ${lo} and ${hi}.`);
}

export function ruleView(r: RuleRow) {
  return {
    id: r.id,
    name: r.name,
    monitorId: r.monitor_id,
    condition: JSON.parse(r.condition_json) as Condition,
    forChecks: r.for_checks,
    recoverChecks: r.recover_checks,
    severity: r.severity,
    channels: JSON.parse(r.channels_json) as Channel[],
    repeatMinutes: r.repeat_minutes,
    enabled: Boolean(r.enabled),
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}
export type RuleView = ReturnType<typeof ruleView>;

export function alertView(a: AlertRow) {
  return {
    id: a.id,
    ruleId: a.rule_id,
    monitorId: a.monitor_id,
    state: a.state,
    severity: a.severity,
    message: a.message,
    openedAt: iso(a.opened_at)!,
    acknowledgedAt: iso(a.acknowledged_at),
    resolvedAt: iso(a.resolved_at),
  };
}
export type AlertView = ReturnType<typeof alertView>;

export class RuleNotFound extends NotFound {
  constructor() {
    super('No alert rule with that id: call list_alert_rules to see your rules and their ids.');
  }
}

export class AlertNotFound extends NotFound {
  constructor() {
    super('No alert with that id: call list_alerts to see your alerts and their ids.');
  }
}

export interface AlertingDeps {
  db: Kysely<Tables>;
  rules: AlertRulesStore;
  alerts: AlertsStore;
  monitors: MonitorsStore;
  config: Pick<Config, 'plans' | 'allowPrivateTargets'>;
  now?: () => number;
}

export class AlertRuleService {
  private readonly now: () => number;
  constructor(private readonly deps: AlertingDeps) {
    this.now = deps.now ?? Date.now;
  }

  private async describeTarget(owner: Owner, monitorId: string | null): Promise<{ label: string; type?: string }> {
    // Only null means every monitor: an empty id names no monitor (and must not make a rule that watches none).
    if (monitorId === null) return { label: 'all monitors' };
    const m = await this.deps.monitors.find(owner.userId, monitorId);
    if (!m) throw new MonitorNotFound();
    return { label: `"${m.name}"`, type: m.type };
  }

  private validate(input: RuleInput, base: RuleView | undefined, monitorType?: string) {
    const condition = checkCondition(input.condition ?? base?.condition ?? bad('condition is required, e.g. {"type": "down"}.'));
    if (condition.type === 'certExpiresWithin' && monitorType && monitorType !== 'tls') {
      bad('certExpiresWithin applies to tls monitors; this monitor is not one.');
    }
    intIn(input.forChecks, 'forChecks', 1, 100);
    intIn(input.recoverChecks, 'recoverChecks', 1, 100);
    intIn(input.repeatMinutes, 'repeatMinutes', 0, 10_080);
    if (input.name !== undefined && !input.name.trim()) bad('name must not be empty.');
    return {
      condition,
      channels: input.channels
        ? checkChannels(input.channels, this.deps.config.allowPrivateTargets)
        : (base?.channels ?? [{ type: 'email' as const }]),
    };
  }

  async create(owner: Owner, input: RuleInput): Promise<RuleView> {
    const monitorId = input.monitorId ?? null;
    const target = await this.describeTarget(owner, monitorId);
    const { condition, channels } = this.validate(input, undefined, target.type);
    const now = this.now();
    const row: RuleRow = {
      id: newId(),
      user_id: owner.userId,
      monitor_id: monitorId,
      name: input.name?.trim() || `${condition.type} on ${target.label}`.slice(0, 200),
      condition_json: JSON.stringify(condition),
      for_checks: input.forChecks ?? 2,
      recover_checks: input.recoverChecks ?? 2,
      severity: input.severity ?? 'warning',
      channels_json: JSON.stringify(channels),
      repeat_minutes: input.repeatMinutes ? input.repeatMinutes : null,
      enabled: input.enabled === false ? 0 : 1,
      created_at: now,
      updated_at: now,
    };
    const { tier, plan } = planFor(this.deps.config, owner.tier);
    await this.deps.db.transaction().execute(async (tx) => {
      await tx.updateTable('users').set({ updated_at: sql`updated_at` }).where('id', '=', owner.userId).execute();
      const { n } = await tx
        .selectFrom('alert_rules')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_id', '=', owner.userId)
        .executeTakeFirstOrThrow();
      if (Number(n) >= plan.maxRules) throw overLimit('alert rules', plan.maxRules, tier);
      await tx.insertInto('alert_rules').values(row).execute();
    });
    return ruleView(row);
  }

  async update(owner: Owner, id: string, input: RuleInput): Promise<RuleView> {
    const row = await this.deps.rules.find(owner.userId, id);
    if (!row) throw new RuleNotFound();
    const base = ruleView(row);
    const monitorId = input.monitorId !== undefined ? input.monitorId : row.monitor_id;
    const target = await this.describeTarget(owner, monitorId);
    const { condition, channels } = this.validate(input, base, target.type);
    const patch: Partial<RuleRow> = {
      monitor_id: monitorId,
      condition_json: JSON.stringify(condition),
      channels_json: JSON.stringify(channels),
      updated_at: this.now(),
    };
    if (input.name !== undefined) patch.name = input.name.trim();
    if (input.forChecks !== undefined) patch.for_checks = input.forChecks;
    if (input.recoverChecks !== undefined) patch.recover_checks = input.recoverChecks;
    if (input.severity !== undefined) patch.severity = input.severity;
    if (input.repeatMinutes !== undefined) patch.repeat_minutes = input.repeatMinutes || null;
    if (input.enabled !== undefined) patch.enabled = input.enabled ? 1 : 0;
    if (!(await this.deps.rules.update(owner.userId, id, patch))) throw new RuleNotFound();
    return ruleView({ ...row, ...patch });
  }

  async list(owner: Owner, f: { monitorId?: string; limit: number; cursor?: string }) {
    const rows = await this.deps.rules.list(owner.userId, f.limit + 1, f.monitorId, decodeCursor(f.cursor));
    const page = rows.slice(0, f.limit);
    const keys = new Map(page.map((r) => [r.id, Number(r.created_at)]));
    return {
      items: page.map(ruleView),
      cursorAfter: (r: RuleView) => encodeCursor({ at: keys.get(r.id)!, id: r.id }),
      more: rows.length > f.limit,
    };
  }

  async remove(owner: Owner, id: string): Promise<void> {
    if (!(await this.deps.rules.remove(owner.userId, id, this.now()))) throw new RuleNotFound();
  }
}

export class AlertService {
  private readonly now: () => number;
  constructor(private readonly deps: Pick<AlertingDeps, 'alerts' | 'db' | 'now'>) {
    this.now = deps.now ?? Date.now;
  }

  async list(owner: Owner, f: { state?: AlertFilter['state']; monitorId?: string; limit: number; cursor?: string }) {
    const filter: AlertFilter = { limit: f.limit + 1 };
    if (f.state) filter.state = f.state;
    if (f.monitorId) filter.monitorId = f.monitorId;
    const after = decodeCursor(f.cursor);
    if (after) filter.after = after;
    const rows = await this.deps.alerts.list(owner.userId, filter);
    const page = rows.slice(0, f.limit);
    const keys = new Map(page.map((r) => [r.id, Number(r.opened_at)]));
    return {
      items: page.map(alertView),
      cursorAfter: (a: AlertView) => encodeCursor({ at: keys.get(a.id)!, id: a.id }),
      more: rows.length > f.limit,
    };
  }

  /** Idempotent: an acknowledged or resolved alert is returned as it is. */
  async acknowledge(owner: Owner, id: string): Promise<AlertView> {
    await this.deps.alerts.acknowledge(owner.userId, id, this.now());
    const row = await this.deps.alerts.find(owner.userId, id);
    if (!row) throw new AlertNotFound();
    return alertView(row);
  }

  /** Idempotent: resolving a resolved alert is not an error. */
  async resolve(owner: Owner, id: string): Promise<AlertView> {
    const now = this.now();
    if (await this.deps.alerts.resolve(owner.userId, id, now)) {
      // Resolved by hand: the channels hear it, as when a rule resolves it.
      const rule = await this.deps.db
        .selectFrom('alerts')
        .innerJoin('alert_rules', 'alert_rules.id', 'alerts.rule_id')
        .select('alert_rules.channels_json')
        .where('alerts.id', '=', id)
        .where('alerts.user_id', '=', owner.userId)
        .executeTakeFirst();
      if (rule) await enqueueNotifications(this.deps.db, { id, user_id: owner.userId }, rule.channels_json, 'resolved', now);
    }
    const row = await this.deps.alerts.find(owner.userId, id);
    if (!row) throw new AlertNotFound();
    return alertView(row);
  }
}
