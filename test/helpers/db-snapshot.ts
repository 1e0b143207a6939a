// Reads the sign-in tables straight from the database a test server uses
// (SQLite file or MySQL database), to prove what a call did or did not write.
import type { TestEnv } from './env.js';

export const SIGN_IN_TABLES = ['login_throttle', 'login_codes', 'users', 'sessions'] as const;
export type SignInTable = (typeof SIGN_IN_TABLES)[number];

export type Snapshot = Record<SignInTable, Record<string, unknown>[]>;

export interface TableReader {
  /** Every row of every sign-in table, in a stable order. */
  snapshot(): Promise<Snapshot>;
  counts(): Promise<Record<SignInTable, number>>;
  close(): Promise<void>;
}

const ORDER_BY: Record<SignInTable, string> = {
  login_throttle: 'email',
  login_codes: 'email',
  users: 'id',
  sessions: 'id',
};

export async function openTables(t: TestEnv): Promise<TableReader> {
  let all: (table: SignInTable) => Promise<Record<string, unknown>[]>;
  let close: () => Promise<void>;
  if (t.backend === 'sqlite') {
    const { default: SQLite } = await import('better-sqlite3');
    const db = new SQLite(`${t.home}/monitors.db`, { readonly: true, fileMustExist: true });
    all = async (table) => db.prepare(`SELECT * FROM ${table} ORDER BY ${ORDER_BY[table]}`).all() as Record<string, unknown>[];
    close = async () => {
      db.close();
    };
  } else {
    const { createConnection } = await import('mysql2/promise');
    const c = await createConnection({ uri: t.env.DATABASE_URL!, supportBigNumbers: true, bigNumberStrings: true });
    all = async (table) => {
      const [rows] = await c.query(`SELECT * FROM \`${table}\` ORDER BY ${ORDER_BY[table]}`);
      return (rows as Record<string, unknown>[]).map((r) => ({ ...r }));
    };
    close = () => c.end();
  }
  const reader: TableReader = {
    async snapshot() {
      const out = {} as Snapshot;
      for (const table of SIGN_IN_TABLES) out[table] = await all(table);
      return out;
    },
    async counts() {
      const snap = await reader.snapshot();
      return Object.fromEntries(SIGN_IN_TABLES.map((k) => [k, snap[k].length])) as Record<SignInTable, number>;
    },
    close,
  };
  return reader;
}
