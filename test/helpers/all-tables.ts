// Every product table read straight from the test's database (SQLite file or
// MySQL database), on a connection of its own, to prove what a call wrote.
import type { TestEnv } from './env.js';
import { dbRows } from './login.js';

export const ALL_TABLES = [
  'users',
  'sessions',
  'login_codes',
  'login_throttle',
  'monitors',
  'secrets',
  'alert_rules',
  'alerts',
  'monitor_results',
] as const;
export type TableName = (typeof ALL_TABLES)[number];

const ORDER_BY: Record<TableName, string> = {
  users: 'id',
  sessions: 'id',
  login_codes: 'email',
  login_throttle: 'email',
  monitors: 'id',
  secrets: 'id',
  alert_rules: 'id',
  alerts: 'id',
  monitor_results: 'id',
};

export type FullSnapshot = Record<TableName, Record<string, unknown>[]>;

/** Every row of every table, in a stable order, with values made comparable across drivers. */
export async function snapshotAll(t: TestEnv): Promise<FullSnapshot> {
  const out = {} as FullSnapshot;
  for (const table of ALL_TABLES) {
    const rows = await dbRows(t, `SELECT * FROM ${table} ORDER BY ${ORDER_BY[table]}`);
    out[table] = rows.map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])),
    );
  }
  return out;
}

export interface AllTablesReader {
  snapshot(): Promise<FullSnapshot>;
  close(): Promise<void>;
}

/** The same snapshot through one connection kept open, for many snapshots in a row. */
export async function openAllTables(t: TestEnv): Promise<AllTablesReader> {
  let all: (sql: string) => Promise<Record<string, unknown>[]>;
  let close: () => Promise<void>;
  if (t.backend === 'sqlite') {
    const { default: SQLite } = await import('better-sqlite3');
    const db = new SQLite(`${t.home}/monitors.db`, { readonly: true, fileMustExist: true, timeout: 10_000 });
    all = async (sql) => db.prepare(sql).all() as Record<string, unknown>[];
    close = async () => {
      db.close();
    };
  } else {
    const { createConnection } = await import('mysql2/promise');
    const c = await createConnection({ uri: t.env.DATABASE_URL!, supportBigNumbers: true, bigNumberStrings: false });
    all = async (sql) => {
      const [rows] = await c.query(sql);
      return (rows as Record<string, unknown>[]).map((r) => ({ ...r }));
    };
    close = () => c.end();
  }
  return {
    async snapshot() {
      const out = {} as FullSnapshot;
      for (const table of ALL_TABLES) out[table] = await all(`SELECT * FROM ${table} ORDER BY ${ORDER_BY[table]}`);
      return out;
    },
    close,
  };
}
