// Rule evaluation after each stored result: an alert fires when a rule's
// condition held for its last forChecks results, and resolves when it has not
// held for recoverChecks. The state lives in the database (one open alert per
// rule and monitor, enforced by a UNIQUE key), so a restart never fires twice.
import type { Kysely } from 'kysely';
import { newId } from '../infra/ids.js';
import { alertsStore } from '../store/alerts.js';
import type { Tables } from '../store/schema.js';
import type { Condition } from './alert-schema.js';
import { enqueueNotifications } from './notifications.js';

interface Seen {
  status: string;
  latency_ms: number | null;
  value: number | null;
  error: string | null;
}

export function conditionHolds(c: Condition, r: Seen): boolean {
  switch (c.type) {
    case 'down':
      return r.status === 'down';
    case 'latencyAbove':
      return r.status === 'up' && r.latency_ms !== null && r.latency_ms > (c.ms ?? Number.POSITIVE_INFINITY);
    case 'valueAbove':
      return r.value !== null && r.value > (c.value ?? Number.POSITIVE_INFINITY);
    case 'valueBelow':
      return r.value !== null && r.value < (c.value ?? Number.NEGATIVE_INFINITY);
    case 'certExpiresWithin':
      return r.value !== null && r.value <= (c.days ?? -1);
  }
  return false;
}

function describe(c: Condition, monitorName: string, r: Seen): string {
  switch (c.type) {
    case 'down':
      return `${monitorName} is down: ${r.error ?? 'the check failed'}`.slice(0, 500);
    case 'latencyAbove':
      return `${monitorName} answers in ${r.latency_ms} ms, above ${c.ms} ms.`;
    case 'valueAbove':
      return `${monitorName} reports ${r.value}, above ${c.value}.`;
    case 'valueBelow':
      return `${monitorName} reports ${r.value}, below ${c.value}.`;
    case 'certExpiresWithin':
      return `The certificate of ${monitorName} expires in ${r.value} days (rule: within ${c.days}).`;
  }
  return `${monitorName} matched a rule.`;
}

export interface Transition {
  ruleId: string;
  alertId: string;
  change: 'fired' | 'resolved';
}

export async function evaluateRules(
  db: Kysely<Tables>,
  monitor: { id: string; user_id: string; name: string },
  now: number,
): Promise<Transition[]> {
  const rules = await db
    .selectFrom('alert_rules')
    .selectAll()
    .where('user_id', '=', monitor.user_id)
    .where('enabled', '=', 1)
    .where((eb) => eb.or([eb('monitor_id', '=', monitor.id), eb('monitor_id', 'is', null)]))
    .execute();
  if (rules.length === 0) return [];
  const depth = Math.max(...rules.map((r) => Math.max(r.for_checks, r.recover_checks)));
  const recent = await db
    .selectFrom('monitor_results')
    .select(['status', 'latency_ms', 'value', 'error'])
    .where('monitor_id', '=', monitor.id)
    .where('user_id', '=', monitor.user_id)
    .orderBy('checked_at', 'desc')
    .orderBy('id', 'desc')
    .limit(depth)
    .execute();
  if (recent.length === 0) return [];
  const out: Transition[] = [];
  for (const rule of rules) {
    const condition = JSON.parse(rule.condition_json) as Condition;
    const open = await db
      .selectFrom('alerts')
      .select(['id'])
      .where('open_key', '=', `${rule.id}:${monitor.id}`)
      .executeTakeFirst();
    if (!open) {
      const window = recent.slice(0, rule.for_checks);
      if (window.length < rule.for_checks || !window.every((r) => conditionHolds(condition, r))) continue;
      // The alert and its notifications are written together: a crash leaves both or neither.
      await db.transaction().execute(async (tx) => {
        const opened = await alertsStore(tx).open({
          id: newId(),
          user_id: monitor.user_id,
          rule_id: rule.id,
          monitor_id: monitor.id,
          severity: rule.severity,
          message: describe(condition, monitor.name, recent[0]!),
          opened_at: now,
          last_notified_at: now,
          updated_at: now,
        });
        if (!opened) return;
        await enqueueNotifications(tx, opened, rule.channels_json, 'firing', now);
        out.push({ ruleId: rule.id, alertId: opened.id, change: 'fired' });
      });
    } else {
      const window = recent.slice(0, rule.recover_checks);
      if (window.length < rule.recover_checks || !window.every((r) => !conditionHolds(condition, r))) continue;
      await db.transaction().execute(async (tx) => {
        if (!(await alertsStore(tx).resolve(monitor.user_id, open.id, now))) return;
        await enqueueNotifications(tx, { id: open.id, user_id: monitor.user_id }, rule.channels_json, 'resolved', now);
        out.push({ ruleId: rule.id, alertId: open.id, change: 'resolved' });
      });
    }
  }
  return out;
}
