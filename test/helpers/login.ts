// Helpers for the sign-in attack tests: read the code the console mailer
// wrote, look at the database through a connection of its own, and build a
// LoginService over an app's real stores with a clock the test controls.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { LoginService, loginCodeKey } from '../../src/auth/login.js';
import { SessionService } from '../../src/auth/sessions.js';
import { ConsoleMailer } from '../../src/infra/mailer.js';
import { loginCodesStore } from '../../src/store/login-codes.js';
import { sessionsStore } from '../../src/store/sessions.js';
import type { TestEnv } from './env.js';

/** The 6-digit code in a console-mailer message (the code stands alone on a line). */
export function codeInMessage(text: string): string {
  const m = /^(\d{6})$/m.exec(text);
  if (!m) throw new Error(`no standalone 6-digit line in the message:\n${text.slice(0, 500)}`);
  return m[1]!;
}

/** The outbox file named in a CodeRequested.where sentence ("... and to /path/file.txt"). */
export function outboxFileIn(where: string): string {
  const m = /(\/\S+\.txt)$/.exec(where);
  if (!m) throw new Error(`no outbox file in "${where}"`);
  return m[1]!;
}

/** The code from the message a requestCode call reported writing. */
export function codeFromWhere(where: string): string {
  return codeInMessage(readFileSync(outboxFileIn(where), 'utf8'));
}

/** The outbox files of a home, oldest first by modification time, then name. */
export function outboxFiles(home: string): string[] {
  const dir = join(home, 'outbox');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.txt'));
  } catch {
    return [];
  }
  return names.map((n) => join(dir, n));
}

/** The code in the newest outbox message to `email`. */
export function newestCodeFor(home: string, email: string): string {
  const files = outboxFiles(home)
    .map((f) => ({ f, text: readFileSync(f, 'utf8') }))
    .filter((x) => x.text.includes(`\nTo: ${email}\n`))
    .sort((a, b) => (a.text < b.text ? -1 : 1)); // the Date: header orders them
  const last = files.at(-1);
  if (!last) throw new Error(`no outbox message to ${email}`);
  return codeInMessage(last.text);
}

/** A different 6-digit code than `code`. */
export function wrongCode(code: string, n = 1): string {
  return String((Number(code) + n) % 1_000_000).padStart(6, '0');
}

/** Rows from the test's database through a connection of its own (not the app's). */
export async function dbRows(t: TestEnv, query: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  if (t.backend === 'sqlite') {
    const { default: SQLite } = await import('better-sqlite3');
    const db = new SQLite(join(t.home, 'monitors.db'), { readonly: true, fileMustExist: true, timeout: 10_000 });
    try {
      return db.prepare(query).all(...params) as Record<string, unknown>[];
    } finally {
      db.close();
    }
  }
  const { createConnection } = await import('mysql2/promise');
  const c = await createConnection({ uri: t.env.DATABASE_URL!, supportBigNumbers: true, bigNumberStrings: false });
  try {
    const [rows] = await c.query(query, params);
    return rows as Record<string, unknown>[];
  } finally {
    await c.end();
  }
}

/** How many rows a table holds (optionally for one email), counted on a connection of its own. */
export async function countRows(t: TestEnv, table: string, email?: string): Promise<number> {
  const rows = email
    ? await dbRows(t, `SELECT COUNT(*) AS n FROM ${table} WHERE email = ?`, [email])
    : await dbRows(t, `SELECT COUNT(*) AS n FROM ${table}`);
  return Number(rows[0]!.n);
}

export interface Clock {
  now: number;
}

/**
 * A LoginService over the app's real database, cache and keys, with a clock the
 * test moves, and a console mailer writing to the same outbox without stderr noise.
 */
export async function loginWithClock(app: App, clock: Clock): Promise<LoginService> {
  const s = await app.services();
  const now = () => clock.now;
  const keys = app.keys();
  const sessions = new SessionService({
    sessions: sessionsStore(s.database.db),
    cache: s.cache,
    keys,
    config: app.config,
    logger: app.logger,
    now,
  });
  const outbox = app.config.mail.kind === 'console' ? app.config.mail.outbox : join(app.config.home, 'outbox');
  return new LoginService({
    codes: loginCodesStore(s.database.db, s.database.dialect),
    users: s.users,
    sessions,
    mailer: new ConsoleMailer(outbox, 'test <test@example.com>', () => undefined),
    codeKey: loginCodeKey(keys.jwtSecret),
    config: app.config,
    logger: app.logger,
    now,
  });
}

/** Settles every promise and splits the outcomes into values and error messages. */
export async function settle<T>(tasks: Promise<T>[]): Promise<{ ok: T[]; errors: string[] }> {
  const results = await Promise.allSettled(tasks);
  const ok: T[] = [];
  const errors: string[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') ok.push(r.value);
    else errors.push(r.reason instanceof Error ? r.reason.message : String(r.reason));
  }
  return { ok, errors };
}
