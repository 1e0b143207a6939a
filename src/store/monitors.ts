import { type Kysely, sql } from 'kysely';
import { likePattern, type PageKey } from './pagination.js';
import type { MonitorResultsTable, MonitorsTable, Tables } from './schema.js';

export type MonitorRow = MonitorsTable;
export type ResultRow = MonitorResultsTable;

/** What `query` matches: the name and the start of the target, lower-cased. */
export function searchText(name: string, target: string): string {
  return `${name} ${target}`.toLowerCase().slice(0, 255);
}

export interface MonitorListFilter {
  status?: string;
  query?: string;
  after?: PageKey;
  limit: number;
}

export function monitorsStore(db: Kysely<Tables>) {
  return {
    async find(userId: string, id: string): Promise<MonitorRow | undefined> {
      return db.selectFrom('monitors').selectAll().where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
    },

    async findByName(userId: string, name: string): Promise<MonitorRow | undefined> {
      return db.selectFrom('monitors').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
    },

    async count(userId: string): Promise<number> {
      const r = await db
        .selectFrom('monitors')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    /** One page in (created_at, id) order: one statement, served by monitors_user_page_idx. */
    async list(userId: string, f: MonitorListFilter): Promise<MonitorRow[]> {
      let q = db.selectFrom('monitors').where('user_id', '=', userId);
      if (f.status) q = q.where('status', '=', f.status);
      if (f.query) q = q.where(sql<boolean>`search_text like ${likePattern(f.query)} escape '!'`);
      if (f.after) {
        const { at, id } = f.after;
        // The redundant bound lets SQLite seek the index; the OR alone makes it scan from the start.
        q = q
          .where('created_at', '>=', at)
          .where((eb) => eb.or([eb('created_at', '>', at), eb.and([eb('created_at', '=', at), eb('id', '>', id)])]));
      }
      if (!f.query) return q.selectAll().orderBy('created_at').orderBy('id').limit(f.limit).execute();
      // A text search reads only the index (it holds search_text) to find the page's ids, then the rows.
      const ids = q.select('id').orderBy('created_at').orderBy('id').limit(f.limit);
      return db
        .selectFrom('monitors as m')
        .innerJoin(ids.as('k'), 'k.id', 'm.id')
        .selectAll('m')
        .orderBy('m.created_at')
        .orderBy('m.id')
        .execute();
    },

    async insert(row: MonitorRow): Promise<void> {
      await db.insertInto('monitors').values(row).execute();
    },

    async update(userId: string, id: string, patch: Partial<Omit<MonitorRow, 'id' | 'user_id'>>): Promise<boolean> {
      const r = await db.updateTable('monitors').set(patch).where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    /** Deletes the monitor with its results, rules that name it, and its alerts. */
    async remove(userId: string, id: string): Promise<boolean> {
      return db.transaction().execute(async (tx) => {
        const r = await tx.deleteFrom('monitors').where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
        if (Number(r.numDeletedRows) !== 1) return false;
        await tx.deleteFrom('monitor_results').where('user_id', '=', userId).where('monitor_id', '=', id).execute();
        await tx.deleteFrom('alerts').where('user_id', '=', userId).where('monitor_id', '=', id).execute();
        await tx.deleteFrom('alert_rules').where('user_id', '=', userId).where('monitor_id', '=', id).execute();
        return true;
      });
    },

    async recentResults(userId: string, monitorId: string, limit: number): Promise<ResultRow[]> {
      return db
        .selectFrom('monitor_results')
        .selectAll()
        .where('monitor_id', '=', monitorId)
        .where('user_id', '=', userId)
        .orderBy('checked_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
    },

    /** Stores a result and the monitor's latest state in one transaction; a paused monitor stays paused. */
    async recordResult(userId: string, monitorId: string, result: ResultRow): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('monitor_results').values(result).execute();
        await tx
          .updateTable('monitors')
          .set({
            status: sql`CASE WHEN enabled = 1 THEN ${result.status} ELSE 'paused' END`,
            last_checked_at: result.checked_at,
            last_latency_ms: result.latency_ms,
            last_value: result.value,
            last_error: result.error,
          })
          .where('user_id', '=', userId)
          .where('id', '=', monitorId)
          .execute();
      });
    },

    /** Names of this user's monitors whose definition refers to {{secrets.NAME}} (case-sensitive, as names are). */
    async namesUsingSecret(userId: string, secretName: string): Promise<string[]> {
      const ref = `{{secrets.${secretName}}}`;
      const rows = await db
        .selectFrom('monitors')
        .select('name')
        .where('user_id', '=', userId)
        .where((eb) => eb.or([sql<boolean>`instr(target, ${ref}) > 0`, sql<boolean>`instr(settings, ${ref}) > 0`]))
        .limit(20)
        .execute();
      return rows.map((r) => r.name);
    },
  };
}

export type MonitorsStore = ReturnType<typeof monitorsStore>;

export interface HistoryWindow {
  since: number;
  until: number;
}

/** Results and their summary over a window; every query scoped by user and monitor. */
export function historyStore(db: Kysely<Tables>) {
  const inWindow = (userId: string, monitorId: string, w: HistoryWindow) =>
    db
      .selectFrom('monitor_results')
      .where('monitor_id', '=', monitorId)
      .where('user_id', '=', userId)
      .where('checked_at', '>=', w.since)
      .where('checked_at', '<=', w.until);

  return {
    /** Newest first, a page at a time (keyset on checked_at, id). */
    async page(userId: string, monitorId: string, w: HistoryWindow, limit: number, before?: PageKey): Promise<ResultRow[]> {
      let q = inWindow(userId, monitorId, w).selectAll();
      if (before) {
        q = q
          .where('checked_at', '<=', before.at)
          .where((eb) =>
            eb.or([eb('checked_at', '<', before.at), eb.and([eb('checked_at', '=', before.at), eb('id', '<', before.id)])]),
          );
      }
      return q.orderBy('checked_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    },

    async counts(userId: string, monitorId: string, w: HistoryWindow): Promise<{ total: number; up: number }> {
      const r = await inWindow(userId, monitorId, w)
        .select((eb) => [
          eb.fn.countAll<number>().as('total'),
          eb.fn.sum<number>(eb.case().when('status', '=', 'up').then(1).else(0).end()).as('up'),
        ])
        .executeTakeFirstOrThrow();
      return { total: Number(r.total), up: Number(r.up ?? 0) };
    },

    /** The latency at a rank (0 = fastest) among results with a latency. */
    async latencyAtRank(userId: string, monitorId: string, w: HistoryWindow, rank: number): Promise<number | null> {
      const r = await inWindow(userId, monitorId, w)
        .select('latency_ms')
        .where('latency_ms', 'is not', null)
        .where('status', '=', 'up')
        .orderBy('latency_ms')
        .limit(1)
        .offset(rank)
        .executeTakeFirst();
      return r?.latency_ms ?? null;
    },

    async countWithLatency(userId: string, monitorId: string, w: HistoryWindow): Promise<number> {
      const r = await inWindow(userId, monitorId, w)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('latency_ms', 'is not', null)
        .where('status', '=', 'up')
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}

export type HistoryStore = ReturnType<typeof historyStore>;
