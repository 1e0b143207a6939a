// Finds MySQL/MariaDB and Redis on 127.0.0.1 for the shared-deployment suite.
// Missing services skip that suite with a plain reason, except under CI=true,
// where a missing service fails the run.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    mysqlAdminUrl: string;
    redisUrl: string;
    servicesSkipReason: string;
  }
}

function probe(url: string, fallbackPort: number): Promise<string | undefined> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port || fallbackPort) });
    const done = (why?: string) => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(2_000, () => done(`timed out connecting to ${u.host}`));
    socket.once('connect', () => done());
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(`${err.code ?? err.message} at ${u.hostname}:${u.port || fallbackPort}`),
    );
  });
}

export default async function setup(project: TestProject) {
  const mysqlAdminUrl = process.env.TEST_MYSQL_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306/mysql';
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
  const problems: string[] = [];
  const m = await probe(mysqlAdminUrl, 3306);
  if (m) problems.push(`MySQL/MariaDB unreachable (${m})`);
  else {
    // A port that answers is not enough: the credentials must work too.
    const { createConnection } = await import('mysql2/promise');
    try {
      const c = await createConnection({ uri: mysqlAdminUrl, connectTimeout: 3_000 });
      await c.end();
    } catch (err) {
      problems.push(
        `MySQL/MariaDB refused ${new URL(mysqlAdminUrl).username || 'the user'} (${(err as { code?: string }).code ?? err})`,
      );
    }
  }
  const r = await probe(redisUrl, 6379);
  if (r) problems.push(`Redis unreachable (${r})`);
  const reason = problems.join('; ');
  if (reason && process.env.CI === 'true') {
    throw new Error(`CI=true and the MySQL/Redis suite cannot run: ${reason}. Start the services (see .ci/run).`);
  }
  if (reason) {
    process.stderr.write(
      `\n*** The MySQL/Redis suite is SKIPPED: ${reason}.\n*** Only the embedded (SQLite) suite runs. Set TEST_MYSQL_ADMIN_URL / TEST_REDIS_URL or start the services.\n\n`,
    );
  } else {
    process.stderr.write(`\nMySQL/Redis suite enabled: ${new URL(mysqlAdminUrl).host}, ${new URL(redisUrl).host}\n\n`);
  }
  // npm test repeats the notice after vitest's summary, where it cannot be missed.
  const notice = join(import.meta.dirname, '..', '..', '.tmp', 'skipped-suites.txt');
  rmSync(notice, { force: true });
  if (reason) {
    mkdirSync(join(notice, '..'), { recursive: true });
    writeFileSync(notice, `The MySQL/Redis suite was SKIPPED: ${reason}.\n`);
  }
  project.provide('mysqlAdminUrl', reason ? '' : mysqlAdminUrl);
  project.provide('redisUrl', reason ? '' : redisUrl);
  project.provide('servicesSkipReason', reason);
}
