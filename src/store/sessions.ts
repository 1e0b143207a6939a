import type { Kysely } from 'kysely';
import type { SessionsTable, Tables } from './schema.js';

export type SessionRow = SessionsTable;

export interface ActiveSession {
  sessionId: string;
  userId: string;
  email: string;
  tier: string;
  expiresAt: number;
}

export function sessionsStore(db: Kysely<Tables>) {
  return {
    async insert(row: SessionRow): Promise<void> {
      await db.insertInto('sessions').values(row).execute();
    },

    /** The session with its user, if it is neither revoked nor expired. */
    async findActive(id: string, now: number): Promise<ActiveSession | undefined> {
      const row = await db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .select([
          'sessions.id as sessionId',
          'sessions.user_id as userId',
          'users.email',
          'users.tier',
          'sessions.expires_at as expiresAt',
        ])
        .where('sessions.id', '=', id)
        .where('sessions.revoked_at', 'is', null)
        .where('sessions.expires_at', '>', now)
        .executeTakeFirst();
      return row ? { ...row, expiresAt: Number(row.expiresAt) } : undefined;
    },

    async revoke(id: string, now: number): Promise<number> {
      const r = await db
        .updateTable('sessions')
        .set({ revoked_at: now })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },

    /** Revokes every live session of a user; returns their ids so caches can forget them. */
    async revokeAllForUser(userId: string, now: number): Promise<string[]> {
      const live = await db
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .execute();
      if (live.length === 0) return [];
      await db
        .updateTable('sessions')
        .set({ revoked_at: now })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .execute();
      return live.map((r) => r.id);
    },
  };
}

export type SessionsStore = ReturnType<typeof sessionsStore>;
