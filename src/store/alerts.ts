import type { Kysely } from 'kysely';
import type { PageKey } from './pagination.js';
import type { AlertRulesTable, AlertsTable, Tables } from './schema.js';

export type RuleRow = AlertRulesTable;
export type AlertRow = AlertsTable;

export function alertRulesStore(db: Kysely<Tables>) {
  return {
    async count(userId: string): Promise<number> {
      const r = await db
        .selectFrom('alert_rules')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    async find(userId: string, id: string): Promise<RuleRow | undefined> {
      return db.selectFrom('alert_rules').selectAll().where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
    },

    async list(userId: string, limit: number, monitorId?: string, after?: PageKey): Promise<RuleRow[]> {
      let q = db.selectFrom('alert_rules').selectAll().where('user_id', '=', userId);
      if (monitorId) q = q.where('monitor_id', '=', monitorId);
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

    async insert(row: RuleRow): Promise<void> {
      await db.insertInto('alert_rules').values(row).execute();
    },

    async update(userId: string, id: string, patch: Partial<Omit<RuleRow, 'id' | 'user_id'>>): Promise<boolean> {
      const r = await db
        .updateTable('alert_rules')
        .set(patch)
        .where('user_id', '=', userId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    /** Deletes the rule; its open alerts are resolved, since nothing will resolve them any more. */
    async remove(userId: string, id: string, now: number): Promise<boolean> {
      return db.transaction().execute(async (tx) => {
        const r = await tx.deleteFrom('alert_rules').where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
        if (Number(r.numDeletedRows) !== 1) return false;
        await tx
          .updateTable('alerts')
          .set({ state: 'resolved', open_key: null, resolved_at: now, updated_at: now })
          .where('user_id', '=', userId)
          .where('rule_id', '=', id)
          .where('state', '!=', 'resolved')
          .execute();
        return true;
      });
    },
  };
}

export interface AlertFilter {
  /** A state, or "open" for firing and acknowledged. */
  state?: 'firing' | 'acknowledged' | 'resolved' | 'open';
  monitorId?: string;
  after?: PageKey;
  limit: number;
}

export function alertsStore(db: Kysely<Tables>) {
  return {
    async find(userId: string, id: string): Promise<AlertRow | undefined> {
      return db.selectFrom('alerts').selectAll().where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
    },

    /** Newest first: (opened_at desc, id desc). */
    async list(userId: string, f: AlertFilter): Promise<AlertRow[]> {
      let q = db.selectFrom('alerts').selectAll().where('user_id', '=', userId);
      if (f.state === 'open') q = q.where('state', 'in', ['firing', 'acknowledged']);
      else if (f.state) q = q.where('state', '=', f.state);
      if (f.monitorId) q = q.where('monitor_id', '=', f.monitorId);
      if (f.after) {
        const { at, id } = f.after;
        // The redundant bound lets SQLite seek the index; the OR alone makes it scan from the start.
        q = q
          .where('opened_at', '<=', at)
          .where((eb) => eb.or([eb('opened_at', '<', at), eb.and([eb('opened_at', '=', at), eb('id', '<', id)])]));
      }
      return q.orderBy('opened_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
    },

    /**
     * Opens an alert for (rule, monitor) unless one is open already: the UNIQUE
     * open_key makes a second "firing" impossible, whichever process tries.
     * Returns the new row, or undefined if one was open.
     */
    async open(row: Omit<AlertRow, 'open_key' | 'state' | 'acknowledged_at' | 'resolved_at'>): Promise<AlertRow | undefined> {
      const full: AlertRow = {
        ...row,
        open_key: `${row.rule_id}:${row.monitor_id}`,
        state: 'firing',
        acknowledged_at: null,
        resolved_at: null,
      };
      const r = await db.insertInto('alerts').ignore().values(full).executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1 ? full : undefined;
    },

    /** firing -> acknowledged; true if this call changed it. */
    async acknowledge(userId: string, id: string, now: number): Promise<boolean> {
      const r = await db
        .updateTable('alerts')
        .set({ state: 'acknowledged', acknowledged_at: now, updated_at: now })
        .where('user_id', '=', userId)
        .where('id', '=', id)
        .where('state', '=', 'firing')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    /** firing or acknowledged -> resolved; true if this call changed it. */
    async resolve(userId: string, id: string, now: number): Promise<boolean> {
      const r = await db
        .updateTable('alerts')
        .set({ state: 'resolved', open_key: null, resolved_at: now, updated_at: now })
        .where('user_id', '=', userId)
        .where('id', '=', id)
        .where('state', '!=', 'resolved')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
  };
}

export type AlertRulesStore = ReturnType<typeof alertRulesStore>;
export type AlertsStore = ReturnType<typeof alertsStore>;
