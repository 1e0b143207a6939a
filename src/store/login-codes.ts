// Login codes and the per-address throttle. Every limit is enforced by one
// conditional UPDATE, so parallel requests cannot both slip under it.
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../infra/database.js';
import type { LoginCodesTable, LoginThrottleTable, Tables } from './schema.js';

export type LoginCodeRow = LoginCodesTable;
export type ThrottleRow = LoginThrottleTable;

export interface SendLimits {
  resendIntervalMs: number;
  maxPerWindow: number;
  windowMs: number;
}

export function loginCodesStore(db: Kysely<Tables>, dialect: Dialect) {
  return {
    /** Stores the new code for this address, replacing (and so killing) any earlier one, in one statement. */
    async replace(row: LoginCodeRow): Promise<void> {
      const { email: _email, ...fresh } = row;
      const insert = db.insertInto('login_codes').values(row);
      await (dialect === 'mysql'
        ? insert.onDuplicateKeyUpdate(fresh)
        : insert.onConflict((oc) => oc.column('email').doUpdateSet(fresh))
      ).execute();
    },

    async find(email: string): Promise<LoginCodeRow | undefined> {
      return db.selectFrom('login_codes').selectAll().where('email', '=', email).executeTakeFirst();
    },

    async remove(email: string, id: string): Promise<void> {
      await db.deleteFrom('login_codes').where('email', '=', email).where('id', '=', id).execute();
    },

    /** Counts one wrong try; false if the code was already dead (too many tries, used, replaced). */
    async countWrongTry(email: string, id: string, maxAttempts: number): Promise<boolean> {
      const r = await db
        .updateTable('login_codes')
        .set({ attempts: sql`attempts + 1` })
        .where('email', '=', email)
        .where('id', '=', id)
        .where('attempts', '<', maxAttempts)
        .where('consumed_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    /** Marks the code used. Exactly one of any number of parallel callers gets true. */
    async consume(email: string, id: string, maxAttempts: number, now: number): Promise<boolean> {
      const r = await db
        .updateTable('login_codes')
        .set({ consumed_at: now })
        .where('email', '=', email)
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .where('attempts', '<', maxAttempts)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async throttle(email: string): Promise<ThrottleRow | undefined> {
      return db.selectFrom('login_throttle').selectAll().where('email', '=', email).executeTakeFirst();
    },

    /**
     * Takes one send slot for the address if every limit allows it, in one
     * statement. Returns true if taken.
     */
    async takeSendSlot(email: string, now: number, limits: SendLimits): Promise<boolean> {
      await db
        .insertInto('login_throttle')
        .ignore()
        .values({ email, last_sent_at: null, window_started_at: now, window_count: 0, failures: 0, locked_until: null })
        .execute();
      const windowOpen = now - limits.windowMs;
      const r = await db
        .updateTable('login_throttle')
        // Order matters on MySQL (see countFailure): window_count reads the old window_started_at.
        .set({
          last_sent_at: now,
          window_count: sql`CASE WHEN window_started_at <= ${windowOpen} THEN 1 ELSE window_count + 1 END`,
          window_started_at: sql`CASE WHEN window_started_at <= ${windowOpen} THEN ${now} ELSE window_started_at END`,
        })
        .where('email', '=', email)
        .where((eb) =>
          eb.and([
            eb.or([eb('last_sent_at', 'is', null), eb('last_sent_at', '<=', now - limits.resendIntervalMs)]),
            eb.or([eb('window_started_at', '<=', windowOpen), eb('window_count', '<', limits.maxPerWindow)]),
            eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]),
          ]),
        )
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    /** Gives back a slot taken at `takenAt` when the message could not be sent. */
    async returnSendSlot(email: string, takenAt: number): Promise<void> {
      await db
        .updateTable('login_throttle')
        .set({ last_sent_at: null, window_count: sql`CASE WHEN window_count > 0 THEN window_count - 1 ELSE 0 END` })
        .where('email', '=', email)
        .where('last_sent_at', '=', takenAt)
        .execute();
    },

    /** Counts a failed verify; locks the address once `lockAfter` failures in a row are reached. */
    async countFailure(email: string, now: number, lockAfter: number, lockMs: number): Promise<void> {
      await db
        .insertInto('login_throttle')
        .ignore()
        .values({ email, last_sent_at: null, window_started_at: now, window_count: 0, failures: 0, locked_until: null })
        .execute();
      await db
        .updateTable('login_throttle')
        // MySQL assigns left to right and later expressions see earlier results: locked_until first.
        .set({
          locked_until: sql`CASE WHEN failures + 1 >= ${lockAfter} THEN ${now + lockMs} ELSE locked_until END`,
          failures: sql`CASE WHEN failures + 1 >= ${lockAfter} THEN 0 ELSE failures + 1 END`,
        })
        .where('email', '=', email)
        .execute();
    },

    async clearFailures(email: string): Promise<void> {
      await db.updateTable('login_throttle').set({ failures: 0 }).where('email', '=', email).execute();
    },
  };
}

export type LoginCodesStore = ReturnType<typeof loginCodesStore>;
