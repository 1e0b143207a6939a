import type { Kysely } from 'kysely';
import { newId } from '../infra/ids.js';
import type { Tables, UsersTable } from './schema.js';

export type UserRow = UsersTable;

export function usersStore(db: Kysely<Tables>) {
  return {
    async findByEmail(email: string): Promise<UserRow | undefined> {
      return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    },

    async findById(id: string): Promise<UserRow | undefined> {
      return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** The user with this address, created (tier free) if new. Parallel first logins share one row: email is UNIQUE. */
    async findOrCreate(email: string, now: number): Promise<UserRow> {
      const existing = await this.findByEmail(email);
      if (existing) return existing;
      await db
        .insertInto('users')
        .ignore()
        .values({ id: newId(), email, tier: 'free', created_at: now, updated_at: now })
        .execute();
      const row = await this.findByEmail(email);
      if (!row) throw new Error('user row missing right after insert');
      return row;
    },

    async list(limit: number, after?: string): Promise<UserRow[]> {
      let q = db.selectFrom('users').selectAll().orderBy('email').limit(limit);
      if (after) q = q.where('email', '>', after);
      return q.execute();
    },
  };
}

export type UsersStore = ReturnType<typeof usersStore>;
