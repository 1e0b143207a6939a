// One Kysely instance over MySQL/MariaDB (mysql2 pool) or SQLite
// (better-sqlite3). Drivers are imported only when a database is opened, so
// an MCP `initialize` never pays for them.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, type LogEvent } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { asUnavailable } from '../errors.js';
import type { Tables } from '../store/schema.js';
import type { Logger } from './logger.js';

export type Dialect = 'mysql' | 'sqlite';

export interface Database {
  db: Kysely<Tables>;
  dialect: Dialect;
  /** Statements executed so far, for benchmarks and `LOG_LEVEL=debug`. */
  stats: { statements: number };
  close(): Promise<void>;
}

export async function openDatabase(config: DatabaseConfig, logger: Logger): Promise<Database> {
  const stats = { statements: 0 };
  const log = (event: LogEvent) => {
    stats.statements++;
    // Only the statement text: parameters can hold code hashes and emails.
    if (logger.isEnabled('debug')) {
      logger.debug('sql', {
        sql: event.query.sql,
        ms: Math.round(event.queryDurationMillis * 100) / 100,
        ok: event.level === 'query',
      });
    }
  };
  if (config.kind === 'sqlite') {
    const { SqliteDialect } = await import('kysely');
    const { default: SQLite } = await import('better-sqlite3');
    const dir = dirname(config.path);
    let sqlite: InstanceType<typeof SQLite>;
    try {
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
      const fresh = !existsSync(config.path);
      sqlite = new SQLite(config.path, { timeout: 10_000 });
      if (fresh) chmodSync(config.path, 0o600);
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
      sqlite.pragma('foreign_keys = ON');
    } catch (err) {
      throw asUnavailable(err) ?? err;
    }
    const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: sqlite }), log });
    return { db, dialect: 'sqlite', stats, close: () => db.destroy() };
  }

  const { MysqlDialect } = await import('kysely');
  const { createPool } = await import('mysql2');
  const pool = createPool({
    uri: config.url,
    connectionLimit: 10,
    connectTimeout: 5_000,
    enableKeepAlive: true,
    timezone: 'Z',
    charset: 'utf8mb4',
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
  });
  // A dropped connection is reported on the pool; it must not become an uncaught error.
  pool.on('connection', (conn) => conn.on('error', (err) => logger.warn('database connection error', { code: err.code })));
  const db = new Kysely<Tables>({ dialect: new MysqlDialect({ pool }), log });
  return { db, dialect: 'mysql', stats, close: () => db.destroy() };
}
