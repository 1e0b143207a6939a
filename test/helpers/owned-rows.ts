// Reads every row one person owns, straight from the database (the SQLite file
// or the MySQL database) through a connection of its own, so a test can prove
// that another person's calls changed none of them.
import type { BackendName } from './env.js';

export const OWNED_TABLES = ['monitors', 'secrets', 'alert_rules', 'alerts', 'monitor_results', 'sessions'] as const;
export type OwnedTable = (typeof OWNED_TABLES)[number];

export type Row = Record<string, unknown>;
export type OwnedSnapshot = Record<OwnedTable | 'users', Row[]>;

export interface DbLocation {
  backend: BackendName;
  /** The SQLite file, for the sqlite backend. */
  sqlitePath?: string;
  /** The DATABASE_URL, for the mysql backend. */
  mysqlUrl?: string;
}

export interface RowReader {
  query(sql: string, params?: unknown[]): Promise<Row[]>;
  /** The person's user row and every row of theirs in each owned table, ordered by id. */
  ownedBy(userId: string): Promise<OwnedSnapshot>;
  close(): Promise<void>;
}

/** Values as plain JSON-comparable data: numbers (BIGINT strings too) and strings. */
function normalize(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (typeof v === 'bigint') out[k] = Number(v);
    else if (Buffer.isBuffer(v)) out[k] = v.toString('base64');
    else out[k] = v;
  }
  return out;
}

export async function openRowReader(at: DbLocation): Promise<RowReader> {
  let query: RowReader['query'];
  let close: () => Promise<void>;
  if (at.backend === 'sqlite') {
    if (!at.sqlitePath) throw new Error('sqlitePath is needed for the sqlite backend');
    const { default: SQLite } = await import('better-sqlite3');
    const db = new SQLite(at.sqlitePath, { readonly: true, fileMustExist: true, timeout: 10_000 });
    query = async (sql, params = []) => (db.prepare(sql).all(...params) as Row[]).map(normalize);
    close = async () => {
      db.close();
    };
  } else {
    if (!at.mysqlUrl) throw new Error('mysqlUrl is needed for the mysql backend');
    const { createConnection } = await import('mysql2/promise');
    const c = await createConnection({ uri: at.mysqlUrl, supportBigNumbers: true, bigNumberStrings: false });
    query = async (sql, params = []) => {
      const [rows] = await c.query(sql, params);
      return (rows as Row[]).map(normalize);
    };
    close = () => c.end();
  }
  return {
    query,
    async ownedBy(userId) {
      const out = { users: await query('SELECT * FROM users WHERE id = ?', [userId]) } as OwnedSnapshot;
      for (const table of OWNED_TABLES) {
        out[table] = await query(`SELECT * FROM ${table} WHERE user_id = ? ORDER BY id`, [userId]);
      }
      return out;
    },
    close,
  };
}
