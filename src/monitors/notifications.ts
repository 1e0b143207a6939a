// Notifications: alert events go into the notifications table (in the same
// transaction as the alert change), and a Notifier sends them: email through
// the mailer, webhooks as a JSON POST through the target guard with a
// timeout. Failed sends are retried with backoff. Sending runs beside the
// checks, never in their way.
import type { Kysely, Transaction } from 'kysely';
import { newId } from '../infra/ids.js';
import type { Logger } from '../infra/logger.js';
import type { Mailer } from '../infra/mailer.js';
import type { Tables } from '../store/schema.js';
import type { Channel } from './alert-schema.js';
import { checkLiteral, checkScheme, guardedLookup } from './guard.js';

export type AlertEvent = 'firing' | 'resolved' | 'repeat';

export const MAX_ATTEMPTS = 6;
const WEBHOOK_TIMEOUT_MS = 10_000;

export async function enqueueNotifications(
  tx: Kysely<Tables> | Transaction<Tables>,
  alert: { id: string; user_id: string },
  channelsJson: string,
  event: AlertEvent,
  now: number,
): Promise<number> {
  const channels = JSON.parse(channelsJson) as Channel[];
  if (channels.length === 0) return 0;
  await tx
    .insertInto('notifications')
    .values(
      channels.map((ch) => ({
        id: newId(),
        user_id: alert.user_id,
        alert_id: alert.id,
        event,
        channel_json: JSON.stringify(ch),
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        lease_owner: null,
        lease_expires_at: null,
        last_error: null,
        created_at: now,
        sent_at: null,
      })),
    )
    .execute();
  return channels.length;
}

export interface NotifierOptions {
  db: Kysely<Tables>;
  mailer: Mailer;
  logger: Logger;
  allowPrivateTargets: boolean;
  owner: string;
  concurrency?: number;
  now?: () => number;
}

export function retryDelayMs(attempts: number): number {
  return Math.min(3_600_000, 30_000 * 2 ** Math.max(0, attempts - 1));
}

export class Notifier {
  private readonly now: () => number;
  private readonly inFlight = new Set<string>();
  sent = 0;

  constructor(private readonly o: NotifierOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Queues a repeat for firing (not acknowledged) alerts whose rule asks for one and whose time has come. */
  async enqueueRepeats(): Promise<number> {
    const now = this.now();
    const due = await this.o.db
      .selectFrom('alerts')
      .innerJoin('alert_rules', 'alert_rules.id', 'alerts.rule_id')
      .select([
        'alerts.id',
        'alerts.user_id',
        'alerts.last_notified_at',
        'alert_rules.repeat_minutes',
        'alert_rules.channels_json',
      ])
      .where('alerts.state', '=', 'firing')
      .where('alert_rules.repeat_minutes', 'is not', null)
      .where('alert_rules.repeat_minutes', '>', 0)
      .limit(200)
      .execute();
    let queued = 0;
    for (const a of due) {
      const threshold = now - Number(a.repeat_minutes) * 60_000;
      if (a.last_notified_at !== null && Number(a.last_notified_at) > threshold) continue;
      await this.o.db.transaction().execute(async (tx) => {
        // Conditional: of several processes, one queues the repeat.
        const r = await tx
          .updateTable('alerts')
          .set({ last_notified_at: now })
          .where('id', '=', a.id)
          .where('state', '=', 'firing')
          .where((eb) => eb.or([eb('last_notified_at', 'is', null), eb('last_notified_at', '<=', threshold)]))
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 1)
          queued += await enqueueNotifications(tx, { id: a.id, user_id: a.user_id }, a.channels_json, 'repeat', now);
      });
    }
    return queued;
  }

  /** Claims due notifications (up to the free slots) and sends them in the background. */
  async deliverDue(): Promise<number> {
    const free = (this.o.concurrency ?? 4) - this.inFlight.size;
    if (free <= 0) return 0;
    const now = this.now();
    const due = await this.o.db
      .selectFrom('notifications')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
      .orderBy('next_attempt_at')
      .limit(free)
      .execute();
    let started = 0;
    for (const { id } of due) {
      const r = await this.o.db
        .updateTable('notifications')
        .set({ lease_owner: this.o.owner, lease_expires_at: now + 2 * WEBHOOK_TIMEOUT_MS + 30_000 })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) continue;
      started++;
      this.inFlight.add(id);
      this.deliver(id)
        .catch((err) =>
          this.o.logger.warn('notification could not be recorded', {
            id,
            code: (err as { code?: string }).code ?? (err as Error).message,
          }),
        )
        .finally(() => this.inFlight.delete(id));
    }
    return started;
  }

  /** Waits for sends in flight, at most `ms`. */
  async drain(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (this.inFlight.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  }

  private async deliver(id: string): Promise<void> {
    const n = await this.o.db
      .selectFrom('notifications')
      .innerJoin('alerts', 'alerts.id', 'notifications.alert_id')
      .innerJoin('users', 'users.id', 'notifications.user_id')
      .leftJoin('monitors', 'monitors.id', 'alerts.monitor_id')
      .leftJoin('alert_rules', 'alert_rules.id', 'alerts.rule_id')
      .select([
        'notifications.id',
        'notifications.event',
        'notifications.channel_json',
        'notifications.attempts',
        'alerts.id as alertId',
        'alerts.state',
        'alerts.severity',
        'alerts.message',
        'alerts.opened_at',
        'alerts.resolved_at',
        'users.email',
        'monitors.id as monitorId',
        'monitors.name as monitorName',
        'monitors.target',
        'alert_rules.id as ruleId',
        'alert_rules.name as ruleName',
      ])
      .where('notifications.id', '=', id)
      .where('notifications.lease_owner', '=', this.o.owner)
      .executeTakeFirst();
    if (!n) return;
    if (n.event !== 'resolved' && n.state === 'resolved') {
      // Resolved (by hand, or by its rule) before this went out: a late "firing" would only mislead.
      await this.o.db
        .updateTable('notifications')
        .set({
          status: 'skipped',
          lease_owner: null,
          lease_expires_at: null,
          last_error: 'the alert was resolved before it was sent',
        })
        .where('id', '=', id)
        .execute();
      return;
    }
    const channel = JSON.parse(n.channel_json) as Channel;
    const payload = {
      event: `alert.${n.event}`,
      alert: {
        id: n.alertId,
        state: n.state,
        severity: n.severity,
        message: n.message,
        openedAt: new Date(Number(n.opened_at)).toISOString(),
        resolvedAt: n.resolved_at === null ? null : new Date(Number(n.resolved_at)).toISOString(),
      },
      monitor: n.monitorId ? { id: n.monitorId, name: n.monitorName, target: n.target } : null,
      rule: n.ruleId ? { id: n.ruleId, name: n.ruleName } : null,
    };
    let error: string | undefined;
    try {
      if (channel.type === 'email') await this.sendEmail(n.email, payload);
      else await this.sendWebhook(channel.url ?? '', payload);
    } catch (err) {
      error = (err as Error).message.slice(0, 500);
    }
    const now = this.now();
    const attempts = n.attempts + 1;
    if (!error) {
      this.sent++;
      await this.o.db
        .updateTable('notifications')
        .set({ status: 'sent', attempts, sent_at: now, lease_owner: null, lease_expires_at: null, last_error: null })
        .where('id', '=', id)
        .execute();
      return;
    }
    const failed = attempts >= MAX_ATTEMPTS;
    this.o.logger.warn(failed ? 'notification failed for good' : 'notification failed; will retry', {
      id,
      channel: channel.type,
      attempts,
      error,
    });
    await this.o.db
      .updateTable('notifications')
      .set({
        status: failed ? 'failed' : 'pending',
        attempts,
        next_attempt_at: now + retryDelayMs(attempts),
        lease_owner: null,
        lease_expires_at: null,
        last_error: error,
      })
      .where('id', '=', id)
      .execute();
  }

  private async sendEmail(
    to: string,
    p: { event: string; alert: { severity: string; message: string; openedAt: string }; monitor: { name: string | null } | null },
  ): Promise<void> {
    const what = p.event === 'alert.resolved' ? 'Resolved' : p.event === 'alert.repeat' ? 'Still firing' : 'Firing';
    const name = p.monitor?.name ?? 'a monitor';
    const text = [
      `${what}: ${p.alert.message}`,
      '',
      `Severity: ${p.alert.severity}`,
      `Opened: ${p.alert.openedAt}`,
      '',
      p.event === 'alert.resolved'
        ? 'No action needed.'
        : 'Ask your assistant to acknowledge_alert to stop repeats, or resolve_alert when it is handled.',
    ].join('\n');
    const html = `<!doctype html><html><body style="font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#1f2933">
<p style="font-size:16px;font-weight:600;color:${p.event === 'alert.resolved' ? '#0f766e' : '#b91c1c'}">${escapeHtml(what)}: ${escapeHtml(name)}</p>
<p>${escapeHtml(p.alert.message)}</p><p style="color:#616e7c;font-size:13px">Severity ${escapeHtml(p.alert.severity)}, opened ${escapeHtml(p.alert.openedAt)}. Sent by monitors-mcp.</p>
</body></html>`;
    await this.o.mailer.send({ to, subject: `[monitors] ${what}: ${name}`.slice(0, 200), text, html });
  }

  private async sendWebhook(url: string, payload: unknown): Promise<void> {
    const target = new URL(url);
    checkScheme(target);
    checkLiteral(target.hostname, this.o.allowPrivateTargets);
    const { Agent, request } = await import('undici');
    const agent = new Agent({ connect: { lookup: guardedLookup(this.o.allowPrivateTargets), timeout: WEBHOOK_TIMEOUT_MS } });
    try {
      const res = await request(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'monitors-mcp/1' },
        body: JSON.stringify(payload),
        dispatcher: agent,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        headersTimeout: WEBHOOK_TIMEOUT_MS,
        bodyTimeout: WEBHOOK_TIMEOUT_MS,
      });
      await res.body.dump().catch(() => undefined);
      if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`the webhook answered HTTP ${res.statusCode}`);
    } catch (err) {
      const e = err as Error & { code?: string; cause?: { message?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError')
        throw new Error(`the webhook did not answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`);
      throw new Error(e.cause?.message ?? e.message);
    } finally {
      agent.destroy().catch(() => undefined);
    }
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
