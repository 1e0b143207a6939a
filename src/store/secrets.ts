import type { Kysely } from 'kysely';
import type { PageKey } from './pagination.js';
import type { SecretsTable, Tables } from './schema.js';

export type SecretRow = SecretsTable;
export type SecretMeta = Pick<SecretRow, 'id' | 'name' | 'created_at' | 'updated_at'>;

export function secretsStore(db: Kysely<Tables>) {
  return {
    async count(userId: string): Promise<number> {
      const r = await db
        .selectFrom('secrets')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    async find(userId: string, name: string): Promise<SecretRow | undefined> {
      return db.selectFrom('secrets').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
    },

    /** Which of these names this user has a secret for. */
    async existing(userId: string, names: string[]): Promise<Set<string>> {
      if (names.length === 0) return new Set();
      const rows = await db
        .selectFrom('secrets')
        .select('name')
        .where('user_id', '=', userId)
        .where('name', 'in', names)
        .execute();
      return new Set(rows.map((r) => r.name));
    },

    async list(userId: string, limit: number, after?: PageKey): Promise<SecretMeta[]> {
      let q = db.selectFrom('secrets').select(['id', 'name', 'created_at', 'updated_at']).where('user_id', '=', userId);
      if (after) {
        // The redundant bound lets SQLite seek the index; the OR alone makes it scan from the start.
        q = q
          .where('created_at', '>=', after.at)
          .where((eb) =>
            eb.or([eb('created_at', '>', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '>', after.id)])]),
          );
      }
      return q.orderBy('created_at').orderBy('id').limit(limit).execute();
    },

    async insert(row: SecretRow): Promise<void> {
      await db.insertInto('secrets').values(row).execute();
    },

    async replaceValue(
      userId: string,
      name: string,
      sealed: Pick<SecretRow, 'ciphertext' | 'iv' | 'tag' | 'key_id'>,
      now: number,
    ): Promise<boolean> {
      const r = await db
        .updateTable('secrets')
        .set({ ...sealed, updated_at: now })
        .where('user_id', '=', userId)
        .where('name', '=', name)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async remove(userId: string, name: string): Promise<boolean> {
      const r = await db.deleteFrom('secrets').where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) === 1;
    },

    /** A batch of rows sealed under a key other than `keyId`, for rotate-keys. */
    async sealedWithOtherKey(keyId: string, limit: number, afterId?: string): Promise<SecretRow[]> {
      let q = db.selectFrom('secrets').selectAll().where('key_id', '!=', keyId);
      if (afterId) q = q.where('id', '>', afterId);
      return q.orderBy('id').limit(limit).execute();
    },

    /** Re-seals one row, only if it is still under the key it was read with (safe to re-run, and beside other writers). */
    async reseal(
      id: string,
      fromKeyId: string,
      sealed: Pick<SecretRow, 'ciphertext' | 'iv' | 'tag' | 'key_id'>,
    ): Promise<boolean> {
      const r = await db
        .updateTable('secrets')
        .set(sealed)
        .where('id', '=', id)
        .where('key_id', '=', fromKeyId)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
  };
}

export type SecretsStore = ReturnType<typeof secretsStore>;
