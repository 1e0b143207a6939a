// `whoami` round trip over stdio with a warm session: p50 and p99 over N calls,
// on the embedded default and on MariaDB + Redis; then how many SQL statements
// one authenticated call issues once the cache is warm (counted from the
// server's own debug log of every statement).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { adminUrl, fmt, mysqlAdmin, percentile, redisUrl, startServer as start, tempHome } from './lib.mjs';

const calls = Number(process.env.CALLS ?? 1000);

const call = (s, name, args = {}) => s.request('tools/call', { name, arguments: args });

async function signIn(env) {
  const s = await start(env);
  const email = `bench-${randomBytes(3).toString('hex')}@example.com`;
  const r = await call(s, 'request_login_code', { email });
  if (r.result?.isError) throw new Error(r.result.content[0].text);
  const code = /^(\d{6})$/m.exec(s.stderr())?.[1];
  const v = await call(s, 'verify_login_code', { email, code });
  if (v.result?.isError) throw new Error(v.result.content[0].text);
  await s.close();
}

async function measure(label, env) {
  await signIn(env);
  const s = await start(env);
  for (let i = 0; i < 50; i++) await call(s, 'whoami'); // warm: cache filled, code paths compiled
  const times = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    const r = await call(s, 'whoami');
    times.push(performance.now() - t0);
    if (!r.result?.structuredContent?.signedIn) throw new Error(`not signed in: ${JSON.stringify(r)}`);
  }
  await s.close();
  times.sort((a, b) => a - b);

  const d = await start({ ...env, LOG_LEVEL: 'debug' });
  for (let i = 0; i < 5; i++) await call(d, 'whoami');
  d.clearStderr();
  const counted = 100;
  for (let i = 0; i < counted; i++) await call(d, 'whoami');
  const statements = d
    .stderr()
    .split('\n')
    .filter((l) => l.includes('"msg":"sql"')).length;
  await d.close();
  console.log(
    `  ${label.padEnd(22)} p50 ${fmt(percentile(times, 50))}  p99 ${fmt(percentile(times, 99))}  max ${fmt(times.at(-1))}  ` +
      `SQL per warm call ${(statements / counted).toFixed(2)}`,
  );
}

console.log(`whoami over stdio, ${calls} sequential calls after 50 warm-up calls (targets: p50 < 2 ms, p99 < 10 ms, 0 SQL):`);
await measure('embedded (SQLite)', { MONITORS_MCP_HOME: tempHome(), MONITORS_MCP_DOTENV: 'off', LOG_LEVEL: 'warn' });

const db = `monitors_bench_${randomBytes(4).toString('hex')}`;
try {
  await mysqlAdmin(`CREATE DATABASE ${db} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
} catch (err) {
  console.log(`  MariaDB + Redis         skipped: ${err.code ?? err.message} (set BENCH_MYSQL_ADMIN_URL)`);
  process.exit(0);
}
try {
  const url = new URL(adminUrl);
  url.pathname = `/${db}`;
  await measure('MariaDB + Redis', {
    MONITORS_MCP_HOME: tempHome(),
    MONITORS_MCP_DOTENV: 'off',
    LOG_LEVEL: 'warn',
    DATABASE_URL: url.toString(),
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `bench:${randomBytes(3).toString('hex')}:`,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    MASTER_KEY: randomBytes(32).toString('base64'),
  });
} finally {
  await mysqlAdmin(`DROP DATABASE IF EXISTS ${db}`);
}
