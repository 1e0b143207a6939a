import { sql } from 'kysely';
import type { App } from '../app.js';
import { asUnavailable } from '../errors.js';
import { openCache } from '../infra/cache.js';
import { openDatabase } from '../infra/database.js';
import { defineCommand, out } from './run.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

async function checkDatabase(app: App): Promise<Check> {
  try {
    const database = await openDatabase(app.config.database, app.logger);
    try {
      const q =
        database.dialect === 'mysql'
          ? sql<{ v: string }>`select version() as v`
          : sql<{ v: string }>`select sqlite_version() as v`;
      const { rows } = await q.execute(database.db);
      const kind = database.dialect === 'mysql' ? (/mariadb/i.test(rows[0]?.v ?? '') ? 'MariaDB' : 'MySQL') : 'SQLite';
      return { name: 'database', ok: true, detail: `${kind} ${rows[0]?.v ?? ''} at ${app.config.deployment}` };
    } finally {
      await database.close();
    }
  } catch (err) {
    return { name: 'database', ok: false, detail: asUnavailable(err)?.message ?? (err as Error).message };
  }
}

async function checkCache(app: App): Promise<Check> {
  const cache = await openCache(app.config, app.logger, '');
  try {
    return { name: 'cache', ok: true, detail: await cache.ping() };
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).message;
    return {
      name: 'cache',
      ok: false,
      detail: `Redis at ${app.config.redis?.display} is unreachable (${code}): check that it is running and REDIS_URL is right.`,
    };
  } finally {
    await cache.close();
  }
}

async function checkMail(app: App): Promise<Check> {
  const mail = app.config.mail;
  if (mail.kind === 'console') {
    const shared =
      app.config.mode === 'shared'
        ? '; in a shared deployment, alert emails are sent only by `monitors-mcp worker` processes, into their log'
        : '';
    return { name: 'mail', ok: true, detail: `${await app.mailer.describe()}${shared}` };
  }
  try {
    const { Client } = (await import('@sendgrid/client')).default as unknown as {
      Client: new () => import('@sendgrid/client').Client;
    };
    const client = new Client();
    client.setApiKey(mail.apiKey);
    if (mail.baseUrl) client.setDefaultRequest('baseUrl', mail.baseUrl);
    client.setDefaultRequest('timeout' as 'baseUrl', 10_000 as unknown as string);
    // Reading the key's scopes proves the key works without sending anything.
    await client.request({ method: 'GET', url: '/v3/scopes' });
    return { name: 'mail', ok: true, detail: `${await app.mailer.describe()}: the API key is accepted` };
  } catch (err) {
    const { describeSendGridFailure } = await import('../infra/mailer.js');
    return { name: 'mail', ok: false, detail: describeSendGridFailure(err).message };
  }
}

export async function testConnections(app: App): Promise<Check[]> {
  return [await checkDatabase(app), await checkCache(app), await checkMail(app)];
}

export function printChecks(checks: Check[]): boolean {
  for (const c of checks) out(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(8)} ${c.detail}`);
  return checks.every((c) => c.ok);
}

export default defineCommand({
  name: 'test-connections',
  summary: 'check the database, cache and mail service.',
  usage: `Usage: monitors-mcp test-connections

Prints one line per dependency (database, cache, mail) with what it reached.
Exits 1 if any of them fails. Sends no mail.`,
  options: {},
  async run({ app }) {
    return printChecks(await testConnections(app)) ? 0 : 1;
  },
});
