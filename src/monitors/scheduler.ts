// The scheduler: due monitors are claimed with a lease in the database (a
// conditional UPDATE over a batch of them), so any number of workers and
// stdio servers run each check once per interval. A worker that dies leaves
// leases that expire and are taken over. Times are epoch milliseconds in the
// database, never long timers, so intervals of months work.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import { newId } from '../infra/ids.js';
import type { Logger } from '../infra/logger.js';
import type { Mailer } from '../infra/mailer.js';
import type { Tables } from '../store/schema.js';
import { type CheckResult, runCheck } from './checks.js';
import { Notifier } from './notifications.js';
import { evaluateRules } from './rule-engine.js';
import type { SecretService } from './secrets.js';
import { definitionOf } from './views.js';

export interface SchedulerOptions {
  db: Kysely<Tables>;
  secrets: SecretService;
  logger: Logger;
  allowPrivateTargets: boolean;
  /** Checks running at once in this process. */
  concurrency: number;
  /** How often to look for due monitors. */
  pollMs: number;
  /** Raw results older than this are purged, in batches. */
  retentionDays: number;
  /** Sends alert notifications; without one, they wait in the queue for a process that has one. */
  mailer?: Mailer;
  now?: () => number;
}

export interface SchedulerStats {
  owner: string;
  checksRun: number;
  running: number;
  notificationsSent: number;
}

export class Scheduler {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly now: () => number;
  private readonly running = new Map<string, AbortController>();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private polling = false;
  private lastPurge = 0;
  private lastRepeatScan = 0;
  private readonly notifier: Notifier | undefined;
  checksRun = 0;

  constructor(private readonly o: SchedulerOptions) {
    this.now = o.now ?? Date.now;
    if (o.mailer) {
      this.notifier = new Notifier({
        db: o.db,
        mailer: o.mailer,
        logger: o.logger,
        allowPrivateTargets: o.allowPrivateTargets,
        owner: this.owner,
        ...(o.now ? { now: o.now } : {}),
      });
    }
  }

  /** Starts polling after a random delay, so processes started together spread out. */
  start(initialDelayMs = 0): void {
    const jitter = Math.floor(Math.random() * Math.min(this.o.pollMs, 1000));
    this.timer = setTimeout(() => this.loop(), initialDelayMs + jitter);
    this.timer.unref?.();
  }

  private loop(): void {
    if (this.stopping) return;
    this.poll()
      .catch((err) =>
        this.o.logger.warn('scheduler poll failed; trying again', {
          code: (err as { code?: string }).code ?? (err as Error).message,
        }),
      )
      .finally(() => {
        if (this.stopping) return;
        this.timer = setTimeout(() => this.loop(), this.o.pollMs);
        this.timer.unref?.();
      });
  }

  /** One round: claim what is due (up to the free slots), start those checks, purge old results now and then. */
  async poll(): Promise<number> {
    if (this.polling || this.stopping) return 0;
    this.polling = true;
    try {
      const free = this.o.concurrency - this.running.size;
      let claimed = 0;
      if (free > 0) {
        const now = this.now();
        const due = await this.o.db
          .selectFrom('monitors')
          .select(['id', 'interval_seconds', 'next_run_at'])
          .where('enabled', '=', 1)
          .where('next_run_at', '<=', now)
          .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
          .orderBy('next_run_at')
          .limit(free * 2)
          .execute();
        // Claimed in batches of at most the free slots, a few statements per batch rather than one per monitor;
        // rows another process took meanwhile are made up for from the spare candidates.
        for (let i = 0; i < due.length && claimed < free && !this.stopping; ) {
          const batch = due.slice(i, i + (free - claimed));
          i += batch.length;
          for (const m of await this.claim(batch, now)) {
            claimed++;
            this.launch(m.id, m.scheduledAt);
          }
        }
      }
      if (this.notifier) {
        if (this.now() - this.lastRepeatScan > 15_000) {
          this.lastRepeatScan = this.now();
          await this.notifier.enqueueRepeats();
        }
        await this.notifier.deliverDue();
      }
      if (this.now() - this.lastPurge > 3_600_000) await this.purge();
      return claimed;
    } finally {
      this.polling = false;
    }
  }

  /** Takes the lease of each due monitor still free; returns those this process now holds, in the order given. */
  private async claim(
    due: { id: string; interval_seconds: number }[],
    now: number,
  ): Promise<{ id: string; scheduledAt: number }[]> {
    // The lease outlives the longest check (timeouts are at most 60 s) with room to store the result.
    const leaseMs = (intervalSeconds: number) => Math.max(90_000, Math.min(intervalSeconds * 1000, 300_000));
    const byLease = new Map<number, string[]>();
    for (const m of due) {
      const until = now + leaseMs(m.interval_seconds);
      byLease.set(until, [...(byLease.get(until) ?? []), m.id]);
    }
    for (const [until, ids] of byLease) {
      await this.o.db
        .updateTable('monitors')
        .set({ lease_owner: this.owner, lease_expires_at: until })
        .where('id', 'in', ids)
        .where('enabled', '=', 1)
        .where('next_run_at', '<=', now)
        .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
        .execute();
    }
    // Which rows the statements took: this owner with this round's lease (a check still running here from an
    // earlier round is never launched twice).
    const held = await this.o.db
      .selectFrom('monitors')
      .select(['id', 'next_run_at', 'lease_expires_at'])
      .where(
        'id',
        'in',
        due.map((m) => m.id),
      )
      .where('lease_owner', '=', this.owner)
      .execute();
    const mine = new Map(held.map((r) => [r.id, r]));
    const out: { id: string; scheduledAt: number }[] = [];
    for (const m of due) {
      const r = mine.get(m.id);
      if (!r || this.running.has(m.id) || Number(r.lease_expires_at) !== now + leaseMs(m.interval_seconds)) continue;
      out.push({ id: m.id, scheduledAt: Number(r.next_run_at) });
    }
    return out;
  }

  private launch(id: string, scheduledAt: number): void {
    const abort = new AbortController();
    this.running.set(id, abort);
    this.runOne(id, scheduledAt, abort.signal)
      .catch((err) =>
        this.o.logger.warn('check could not be stored', {
          monitor: id,
          code: (err as { code?: string }).code ?? (err as Error).message,
        }),
      )
      .finally(() => this.running.delete(id));
  }

  private async runOne(id: string, scheduledAt: number, signal: AbortSignal): Promise<void> {
    const row = await this.o.db
      .selectFrom('monitors')
      .selectAll()
      .where('id', '=', id)
      .where('lease_owner', '=', this.owner)
      .executeTakeFirst();
    if (!row) return;
    const def = definitionOf(row);
    const owner = { userId: row.user_id };
    const result = await runCheck(def, {
      allowPrivate: this.o.allowPrivateTargets,
      signal,
      secret: (name) => this.o.secrets.reveal(owner, name),
    });
    if (signal.aborted) return; // stopping: the lease is released, and the check runs again elsewhere
    if (!(await this.finish(row.user_id, id, scheduledAt, row.interval_seconds, result))) return;
    this.checksRun++;
    for (const t of await evaluateRules(this.o.db, { id, user_id: row.user_id, name: row.name }, this.now())) {
      this.o.logger.info(t.change === 'fired' ? 'alert fired' : 'alert resolved', {
        monitor: id,
        rule: t.ruleId,
        alert: t.alertId,
      });
    }
  }

  /** Stores the result and books the next run, only while this process still holds the lease. */
  private async finish(
    userId: string,
    id: string,
    scheduledAt: number,
    intervalSeconds: number,
    result: CheckResult,
  ): Promise<boolean> {
    const interval = intervalSeconds * 1000;
    const now = this.now();
    // The next run follows the schedule, not the finish time; a monitor far behind skips to the next slot.
    let next = scheduledAt + interval;
    if (next <= now) next = now + interval - ((now - scheduledAt) % interval);
    return this.o.db
      .transaction()
      .execute(async (tx) => {
        const r = await tx
          .updateTable('monitors')
          .set({
            status: result.status,
            last_checked_at: result.checkedAt,
            last_latency_ms: result.latencyMs,
            last_value: result.value,
            last_error: result.error,
            next_run_at: next,
            lease_owner: null,
            lease_expires_at: null,
          })
          .where('id', '=', id)
          .where('lease_owner', '=', this.owner)
          .where('enabled', '=', 1)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) throw new LeaseLost();
        await tx
          .insertInto('monitor_results')
          .values({
            id: newId(),
            user_id: userId,
            monitor_id: id,
            checked_at: result.checkedAt,
            status: result.status,
            latency_ms: result.latencyMs,
            status_code: result.statusCode,
            value: result.value,
            error: result.error,
          })
          .execute();
        return true;
      })
      .catch((err) => {
        if (!(err instanceof LeaseLost)) throw err;
        // Paused, deleted or taken over meanwhile: this result is not kept.
        this.o.logger.debug('lease lost before the result was stored', { monitor: id });
        return false;
      });
  }

  /** Deletes raw results past the retention, a batch at a time so no statement holds locks for long. */
  async purge(batch = 1000, maxBatches = 20): Promise<number> {
    this.lastPurge = this.now();
    const cutoff = this.now() - this.o.retentionDays * 86_400_000;
    let removed = 0;
    for (let i = 0; i < maxBatches && !this.stopping; i++) {
      const ids = await this.o.db
        .selectFrom('monitor_results')
        .select('id')
        .where('checked_at', '<', cutoff)
        .limit(batch)
        .execute();
      if (ids.length === 0) break;
      const r = await this.o.db
        .deleteFrom('monitor_results')
        .where(
          'id',
          'in',
          ids.map((x) => x.id),
        )
        .executeTakeFirst();
      removed += Number(r.numDeletedRows);
      if (ids.length < batch) break;
    }
    if (removed > 0) this.o.logger.info('old results purged', { removed, retentionDays: this.o.retentionDays });
    return removed;
  }

  /**
   * Stops polling. With `graceMs`, running checks may finish first; whatever is
   * still running then is cancelled and its lease released for another process.
   */
  async stop(graceMs = 0): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const deadline = Date.now() + graceMs;
    // A poll under way may still be claiming and launching: let it end, so every lease it takes is
    // cancelled and released below instead of being left to expire (bounded: the stdio server exits 800 ms after a stop).
    const pollDeadline = Math.max(deadline, Date.now() + 500);
    while (this.polling && Date.now() < pollDeadline) await new Promise((r) => setTimeout(r, 10));
    while (this.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const abort of this.running.values()) abort.abort();
    if (this.notifier) await this.notifier.drain(Math.max(0, deadline - Date.now()));
    await this.o.db
      .updateTable('monitors')
      .set({ lease_owner: null, lease_expires_at: null })
      .where('lease_owner', '=', this.owner)
      .execute()
      .catch(() => undefined);
    await this.o.db
      .updateTable('notifications')
      .set({ lease_owner: null, lease_expires_at: null })
      .where('lease_owner', '=', this.owner)
      .where('status', '=', 'pending')
      .execute()
      .catch(() => undefined);
  }

  stats(): SchedulerStats {
    return {
      owner: this.owner,
      checksRun: this.checksRun,
      running: this.running.size,
      notificationsSent: this.notifier?.sent ?? 0,
    };
  }
}

class LeaseLost extends Error {}
