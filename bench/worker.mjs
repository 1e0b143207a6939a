// The scheduler under load: `monitors-mcp worker` with 10,000 `http` monitors
// at a 60 s interval against a local HTTP server (127.0.0.1, answers 200 at
// once, counts requests per monitor by path), on the embedded default (one
// SQLite file) and on MariaDB, with one worker and then two sharing the
// database. Over DURATION seconds: checks per second, the lag between each
// check's scheduled slot and its start (p50 / p99 / max), missed slots (no
// result) and doubled slots (two results), the worker's CPU time and peak
// memory. Not in `npm run bench` (it runs for minutes): `node bench/worker.mjs`.
//
// The monitors are written straight into the database with their first
// next_run_at spread evenly over the first 60 s of the run (monitor i at
// T0 + i * 60 s / N), so slot k of monitor i is T0 + i * 60 s / N + k * 60 s:
// a result belongs to the slot it started in, and its lag is checked_at minus
// that slot (checked_at is taken as the check starts, after the claim).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminUrl, fmt, mysqlAdmin, percentile, serverEntry, startServer, tempHome } from './lib.mjs';

const total = Number(process.env.MONITORS ?? 10_000);
const durationS = Number(process.env.DURATION ?? 180);
const intervalS = 60;
const concurrency = process.env.WORKER_CONCURRENCY ?? '64';
const pollMs = process.env.WORKER_POLL_MS ?? '250';
const workerCounts = (process.env.WORKERS ?? '1,2').split(',').map(Number);
const backends = (process.env.BACKENDS ?? 'sqlite,mariadb').split(',');
const CLK_TCK = 100; // USER_HZ on Linux: utime and stime in /proc/<pid>/stat are in 1/100 s
const interval = intervalS * 1000;

// --- a person, through the MCP tools (as the other benchmarks do), on a server with its scheduler off

async function signIn(env) {
  const s = await startServer({ ...env, MONITORS_MCP_WORKER: 'off' });
  const call = async (name, args) => {
    const r = await s.request('tools/call', { name, arguments: args });
    if (!r.result || r.result.isError) throw new Error(`${name}: ${JSON.stringify(r.error ?? r.result?.content)}`);
  };
  const email = `bench-${randomBytes(3).toString('hex')}@example.com`;
  await call('request_login_code', { email });
  const code = /^(\d{6})$/m.exec(s.stderr())?.[1];
  await call('verify_login_code', { email, code });
  await s.close();
  return email;
}

// --- direct database access: the bulk insert and reading the results back

async function openSqlite(path) {
  const { default: SQLite } = await import('better-sqlite3');
  const db = new SQLite(path, { timeout: 10_000 });
  return {
    all: async (sql, params = []) => db.prepare(sql).all(...params),
    async insert(rows) {
      const cols = Object.keys(rows[0]);
      const tuple = `(${cols.map(() => '?').join(', ')})`;
      db.transaction(() => {
        for (let i = 0; i < rows.length; i += 500) {
          const chunk = rows.slice(i, i + 500);
          db.prepare(`insert into monitors (${cols.join(', ')}) values ${chunk.map(() => tuple).join(', ')}`).run(
            ...chunk.flatMap((r) => cols.map((c) => r[c])),
          );
        }
      })();
    },
    close: async () => db.close(),
  };
}

async function openMysql(url) {
  const { createConnection } = await import('mysql2/promise');
  const c = await createConnection({ uri: url, supportBigNumbers: true, bigNumberStrings: false, charset: 'utf8mb4' });
  return {
    all: async (sql, params = []) => (await c.query(sql, params))[0],
    async insert(rows) {
      const cols = Object.keys(rows[0]);
      await c.beginTransaction();
      for (let i = 0; i < rows.length; i += 500) {
        await c.query(`insert into monitors (${cols.join(', ')}) values ?`, [
          rows.slice(i, i + 500).map((r) => cols.map((k) => r[k])),
        ]);
      }
      await c.commit();
      await c.query('ANALYZE TABLE monitors');
    },
    close: () => c.end(),
  };
}

// --- the target: answers 200 at once, counts requests per monitor (/m/<index>) and per second of the run

function startTarget() {
  const hits = new Uint32Array(total);
  const perSecond = new Map();
  let t0 = 0;
  let other = 0;
  const server = createServer((req, res) => {
    const m = /^\/m\/(\d+)$/.exec(req.url ?? '');
    if (m) {
      hits[Number(m[1])]++;
      const s = Math.floor((Date.now() - t0) / 1000);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    } else other++;
    res.end('ok');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        hits,
        perSecond,
        other: () => other,
        setT0: (t) => {
          t0 = t;
        },
        close: () => {
          server.closeAllConnections();
          return new Promise((r) => server.close(r));
        },
      }),
    ),
  );
}

// --- worker processes, and what /proc says about them

function spawnWorker(env) {
  const child = spawn(process.execPath, [serverEntry, 'worker'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const closed = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return { child, pid: child.pid, stdout: () => out, stderr: () => err, closed };
}

async function ready(w) {
  const deadline = Date.now() + 20_000;
  while (!/Worker \S+ running/.test(w.stdout())) {
    if (w.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`worker ${w.pid} did not start:\n${w.stdout()}\n${w.stderr().slice(-2000)}`);
    }
    await sleep(50);
  }
}

/** utime + stime of a live process, in milliseconds. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // fields 14 and 15
}

/** VmHWM (peak resident set) and VmRSS, in MB. */
function memoryMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { hwm: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
}

/**
 * With WORKER_LOG_LEVEL=debug, the first worker logs every statement and its time: per kind of statement
 * in the window, how many and how long (what a poll round costs, and how many checks one round claims).
 */
function sqlProfile(w, t0, end) {
  const kinds = new Map();
  for (const line of w.stderr().split('\n')) {
    if (!line.includes('"msg":"sql"')) continue;
    const r = JSON.parse(line);
    const at = Date.parse(r.time);
    if (at < t0 || at >= end) continue;
    const kind = r.sql.replace(/\s+/g, ' ').slice(0, 90);
    const list = kinds.get(kind) ?? [];
    list.push(r.ms);
    kinds.set(kind, list);
  }
  console.log(`  statements of worker 1 in the window (debug log; the logging itself costs CPU):`);
  for (const [kind, ms] of [...kinds].sort((a, b) => b[1].length - a[1].length)) {
    const sorted = ms.sort((a, b) => a - b);
    const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
    console.log(
      `    ${String(ms.length).padStart(6)}x  mean ${fmt(mean)}  p99 ${fmt(percentile(sorted, 99))}  total ${((mean * ms.length) / 1000).toFixed(1)} s  ${kind}`,
    );
  }
}

// --- one run: a fresh database, N workers, DURATION seconds

async function run(label, env, openStore, workers) {
  const target = await startTarget();
  const procs = [];
  try {
    const email = await signIn(env);
    const store = await openStore();
    const [user] = await store.all('select id from users where email = ?', [email]);
    if (!user) throw new Error('the signed-in person is not in the database');

    const workerEnv = {
      ...env,
      ALLOW_PRIVATE_TARGETS: 'true',
      WORKER_CONCURRENCY: concurrency,
      WORKER_POLL_MS: pollMs,
      ...(process.env.WORKER_LOG_LEVEL ? { LOG_LEVEL: process.env.WORKER_LOG_LEVEL } : {}),
    };
    for (let i = 0; i < workers; i++) procs.push(spawnWorker(workerEnv));
    await Promise.all(procs.map(ready));

    // The monitors, first due from T0 on, spread evenly over one interval.
    const insertStarted = Date.now();
    const t0 = insertStarted + 8000;
    const first = (i) => t0 + Math.floor((i * interval) / total);
    const ids = [];
    const rows = [];
    for (let i = 0; i < total; i++) {
      const id = randomBytes(16).toString('base64url');
      const name = `load ${String(i).padStart(5, '0')}`;
      const url = `http://127.0.0.1:${target.port}/m/${i}`;
      ids.push(id);
      rows.push({
        id,
        user_id: user.id,
        name,
        type: 'http',
        target: url,
        settings: JSON.stringify({ method: 'GET' }),
        interval_seconds: intervalS,
        timeout_ms: 5000,
        enabled: 1,
        status: 'unknown',
        last_checked_at: null,
        last_latency_ms: null,
        last_value: null,
        last_error: null,
        next_run_at: first(i),
        search_text: `${name} ${url}`.toLowerCase().slice(0, 255),
        lease_owner: null,
        lease_expires_at: null,
        created_at: insertStarted,
        updated_at: insertStarted,
      });
    }
    await store.insert(rows);
    if (Date.now() >= t0) throw new Error(`inserting ${total} monitors took past T0 (${Date.now() - insertStarted} ms)`);
    const index = new Map(ids.map((id, i) => [id, i]));
    console.log(
      `\n${label}, ${workers} worker${workers > 1 ? 's' : ''} (WORKER_CONCURRENCY=${concurrency}, WORKER_POLL_MS=${pollMs}): ` +
        `${total} monitors inserted in ${Date.now() - insertStarted} ms; measuring ${durationS} s`,
    );

    target.setT0(t0);
    await sleep(t0 - Date.now());
    const cpu0 = procs.map((w) => cpuMs(w.pid));
    const end = t0 + durationS * 1000;
    await sleep(end - Date.now());
    const cpu1 = procs.map((w) => cpuMs(w.pid));
    await sleep(3000); // checks of the last slots in the window finish and store their results
    const mem = procs.map((w) => memoryMb(w.pid));
    const stopAt = Date.now();
    for (const w of procs) w.child.kill('SIGTERM');
    const exits = await Promise.all(procs.map((w) => w.closed));
    const stopMs = Date.now() - stopAt;

    // Every result, put in its slot.
    const results = await store.all('select monitor_id, checked_at from monitor_results');
    await store.close();
    const perSlot = new Map(); // i * 1e6 + k -> results in that slot
    const lags = [];
    let early = 0;
    let inWindow = 0;
    let stored = 0;
    const perTen = new Map();
    for (const r of results) {
      const i = index.get(r.monitor_id);
      if (i === undefined) continue;
      stored++;
      const at = Number(r.checked_at);
      const k = Math.floor((at - first(i)) / interval);
      if (k < 0) {
        early++;
        continue;
      }
      const slot = first(i) + k * interval;
      if (slot >= end) continue;
      inWindow++;
      perSlot.set(i * 1e6 + k, (perSlot.get(i * 1e6 + k) ?? 0) + 1);
      lags.push(at - slot);
      const b = Math.floor((at - t0) / 10_000);
      perTen.set(b, (perTen.get(b) ?? 0) + 1);
    }
    let expected = 0;
    let missed = 0;
    let doubled = 0;
    for (let i = 0; i < total; i++) {
      for (let k = 0; first(i) + k * interval < end; k++) {
        expected++;
        const n = perSlot.get(i * 1e6 + k) ?? 0;
        if (n === 0) missed++;
        if (n > 1) doubled += n - 1;
      }
    }
    const sorted = lags.sort((a, b) => a - b);
    const over1s = sorted.filter((l) => l > 1000).length;
    const requests = target.hits.reduce((a, b) => a + b, 0);
    const tens = [...perTen.entries()]
      .filter(([b]) => b < Math.floor(durationS / 10))
      .map(([, n]) => n / 10)
      .sort((a, b) => a - b);
    const cpuSpent = cpu1.map((c, n) => c - cpu0[n]);
    const cpuTotal = cpuSpent.reduce((a, b) => a + b, 0);
    const warnings = procs.flatMap((w) =>
      w
        .stderr()
        .split('\n')
        .filter((l) => /"level":"(warn|error)"/.test(l)),
    );

    const f = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : fmt(ms));
    console.log(
      `  checks in the window: ${inWindow} of ${expected} slots = ${(inWindow / durationS).toFixed(1)}/s sustained ` +
        `(target ${(total / intervalS).toFixed(1)}/s; 10 s buckets min ${tens[0]?.toFixed(1)} max ${tens.at(-1)?.toFixed(1)}/s)`,
    );
    console.log(
      `  lag, slot -> start: p50 ${f(percentile(sorted, 50))}  p99 ${f(percentile(sorted, 99))}  max ${f(sorted.at(-1) ?? NaN)}` +
        `  (over 1 s: ${over1s})`,
    );
    console.log(`  missed slots: ${missed}   doubled slots: ${doubled}   started before their slot: ${early}`);
    console.log(
      `  HTTP requests received: ${requests} (results stored over the whole run: ${stored}` +
        `${requests !== stored ? `; ${requests - stored} requests without a stored result` : ''})`,
    );
    for (const [n, w] of procs.entries()) {
      console.log(
        `  worker ${n + 1} (pid ${w.pid}): CPU ${(cpuSpent[n] / 1000).toFixed(1)} s in ${durationS} s ` +
          `(${((cpuSpent[n] / (durationS * 1000)) * 100).toFixed(1)}% of a core; ` +
          `${inWindow ? ((cpuTotal / inWindow) * (cpuSpent[n] / cpuTotal)).toFixed(2) : 'n/a'} ms per check of all), ` +
          `peak RSS (VmHWM) ${mem[n].hwm.toFixed(1)} MB, RSS at the end ${mem[n].rss.toFixed(1)} MB; ` +
          `exit ${exits[n].code ?? exits[n].signal}`,
      );
    }
    console.log(
      `  CPU per check, all workers: ${inWindow ? (cpuTotal / inWindow).toFixed(2) : 'n/a'} ms; SIGTERM to exit: ${stopMs} ms`,
    );
    if (warnings.length) {
      const kinds = new Map();
      for (const l of warnings) {
        const msg = (() => {
          try {
            const j = JSON.parse(l);
            return `${j.msg}${j.code ? ` (${j.code})` : ''}`;
          } catch {
            return l.slice(0, 120);
          }
        })();
        kinds.set(msg, (kinds.get(msg) ?? 0) + 1);
      }
      console.log(`  worker warnings: ${[...kinds].map(([m, n]) => `${n}x ${m}`).join('; ')}`);
    }
    if (process.env.WORKER_LOG_LEVEL === 'debug') sqlProfile(procs[0], t0, end);
    return { label, workers, missed, doubled, p99: percentile(sorted, 99), hwm: Math.max(...mem.map((m) => m.hwm)) };
  } finally {
    for (const w of procs) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await target.close();
  }
}

const common = {
  MONITORS_MCP_DOTENV: 'off',
  LOG_LEVEL: 'warn',
  PLAN_FREE_MAX_MONITORS: String(total * 2),
};
console.log(
  `monitors-mcp worker: ${total} http monitors at a ${intervalS} s interval against a local HTTP server, ` +
    `${durationS} s per run (targets: p99 lag < 1 s, 0 missed, 0 doubled, peak memory < 300 MB)`,
);

const summary = [];
if (backends.includes('sqlite')) {
  for (const n of workerCounts) {
    const home = tempHome();
    const path = join(home, 'monitors.db');
    summary.push(
      await run(
        'embedded (SQLite file)',
        { ...common, MONITORS_MCP_HOME: home, DATABASE_URL: `sqlite://${path}` },
        () => openSqlite(path),
        n,
      ),
    );
  }
}

if (backends.includes('mariadb')) {
  let reachable = true;
  try {
    await mysqlAdmin('SELECT 1');
  } catch (err) {
    reachable = false;
    console.log(`\nMariaDB skipped: ${err.code ?? err.message} (set BENCH_MYSQL_ADMIN_URL)`);
  }
  for (const n of reachable ? workerCounts : []) {
    const db = `monitors_bench_${randomBytes(4).toString('hex')}`;
    await mysqlAdmin(`CREATE DATABASE ${db} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    try {
      const url = new URL(adminUrl);
      url.pathname = `/${db}`;
      summary.push(
        await run(
          'MariaDB',
          {
            ...common,
            MONITORS_MCP_HOME: tempHome(),
            DATABASE_URL: url.toString(),
            JWT_SECRET: randomBytes(48).toString('base64url'),
            MASTER_KEY: randomBytes(32).toString('base64'),
          },
          () => openMysql(url.toString()),
          n,
        ),
      );
    } finally {
      await mysqlAdmin(`DROP DATABASE IF EXISTS ${db}`);
    }
  }
}

console.log('\nSummary:');
for (const s of summary) {
  const ok = s.p99 < 1000 && s.missed === 0 && s.doubled === 0 && s.hwm < 300;
  console.log(
    `  ${s.label}, ${s.workers} worker${s.workers > 1 ? 's' : ''}: p99 ${fmt(s.p99)}, ${s.missed} missed, ${s.doubled} doubled, ` +
      `peak ${s.hwm.toFixed(0)} MB: ${ok ? 'targets met' : 'TARGET MISSED'}`,
  );
}
