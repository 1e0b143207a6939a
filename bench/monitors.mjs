// list_monitors and get_monitor over stdio with a warm session, for one person
// holding 10,000 monitors, on the embedded default and on MariaDB + Redis:
// p50, p99 and max per tool; SQL statements per call (from the server's own
// debug log); and the query plans of the statements those tools run.
// The monitors are written straight into the database (the row shape of
// MonitorService.create, copied from one monitor made through create_monitor),
// in multi-row INSERTs inside one transaction: 10,000 tool calls would take long.
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminUrl, fmt, mysqlAdmin, percentile, redisUrl, startServer as start, tempHome } from './lib.mjs';

const total = Number(process.env.MONITORS ?? 10_000);
const pageCalls = Number(process.env.PAGES ?? 1000);
const getCalls = Number(process.env.GETS ?? 1000);
const counted = Number(process.env.COUNTED ?? 50);
const pageSize = 50;
const pausedEvery = 10; // every 10th monitor is paused: status=paused is a sparse filter, status=unknown a dense one
const queryText = 'svc-42.'; // matches 1 monitor in 100 by target

async function call(s, name, args = {}) {
  const r = await s.request('tools/call', { name, arguments: args });
  if (!r.result || r.result.isError) throw new Error(`${name}: ${JSON.stringify(r.error ?? r.result?.content)}`);
  return r.result.structuredContent;
}

async function signIn(env) {
  const s = await start(env);
  const email = `bench-${randomBytes(3).toString('hex')}@example.com`;
  await call(s, 'request_login_code', { email });
  const code = /^(\d{6})$/m.exec(s.stderr())?.[1];
  await call(s, 'verify_login_code', { email, code });
  await s.close();
  return email;
}

// --- direct database access: bulk insert, EXPLAIN, and timing a statement in-process

function chunks(rows, size) {
  const out = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

async function openSqlite(home) {
  const { default: SQLite } = await import('better-sqlite3');
  const db = new SQLite(join(home, 'monitors.db'), { timeout: 10_000 });
  return {
    all: async (sql, params = []) => db.prepare(sql).all(...params),
    async insert(rows) {
      const cols = Object.keys(rows[0]);
      const tuple = `(${cols.map(() => '?').join(', ')})`;
      db.transaction(() => {
        for (const chunk of chunks(rows, 500)) {
          db.prepare(`insert into monitors (${cols.join(', ')}) values ${chunk.map(() => tuple).join(', ')}`).run(
            ...chunk.flatMap((r) => cols.map((c) => r[c])),
          );
        }
      })();
    },
    async explain(sql, params) {
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params);
      const depth = new Map([[0, -1]]);
      return rows.map((r) => {
        depth.set(r.id, (depth.get(r.parent) ?? -1) + 1);
        return `${'  '.repeat(depth.get(r.id))}${r.detail}`;
      });
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
      try {
        for (const chunk of chunks(rows, 500)) {
          await c.query(`insert into monitors (${cols.join(', ')}) values ?`, [chunk.map((r) => cols.map((k) => r[k]))]);
        }
        await c.commit();
      } catch (err) {
        await c.rollback();
        throw err;
      }
      await c.query('ANALYZE TABLE monitors'); // fresh index statistics, as InnoDB's auto-recalc would soon give
    },
    async explain(sql, params) {
      const [plan] = await c.query(`EXPLAIN ${sql}`, params);
      const [actual] = await c.query(`ANALYZE ${sql}`, params);
      const keys = ['id', 'select_type', 'table', 'type', 'possible_keys', 'key', 'key_len', 'ref', 'rows', 'Extra'];
      return plan.map((r, i) => {
        const cells = keys.map((k) => `${k}=${r[k] ?? 'NULL'}`).join(' ');
        return `${cells}  [ANALYZE: r_rows=${actual[i]?.r_rows ?? 'NULL'} r_filtered=${actual[i]?.r_filtered ?? 'NULL'}]`;
      });
    },
    close: () => c.end(),
  };
}

/** Median wall time of one statement run straight on the database, no MCP in the way. */
async function direct(store, sql, params, runs = 200) {
  const t = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await store.all(sql, params);
    t.push(performance.now() - t0);
  }
  return percentile(
    t.sort((a, b) => a - b),
    50,
  );
}

// --- the run for one backend

const stats = (t) => {
  const s = [...t].sort((a, b) => a - b);
  return `p50 ${fmt(percentile(s, 50))}  p99 ${fmt(percentile(s, 99))}  max ${fmt(s.at(-1))}  (n=${s.length})`;
};

/** Statements logged at debug level since the last clear: total and each distinct text with its count. */
async function loggedSql(s) {
  await sleep(100); // stderr and stdout are separate pipes: let the last lines arrive
  const texts = s
    .stderr()
    .split('\n')
    .filter((l) => l.includes('"msg":"sql"'))
    .map((l) => JSON.parse(l).sql);
  s.clearStderr();
  const distinct = new Map();
  for (const t of texts) distinct.set(t, (distinct.get(t) ?? 0) + 1);
  return { n: texts.length, distinct };
}

async function run(label, env, openStore) {
  console.log(`\n${label}`);
  const email = await signIn(env);

  // One monitor through the tool: the row the service writes, to copy.
  let s = await start(env);
  const made = await call(s, 'create_monitor', { name: 'bench template', type: 'http', target: 'https://example.com/health' });
  await s.close();

  const store = await openStore();
  try {
    const [user] = await store.all('select id from users where email = ?', [email]);
    const [template] = await store.all('select * from monitors where id = ?', [made.monitor.id]);
    if (!user || template?.user_id !== user.id) throw new Error('template monitor not found for the signed-in user');

    const t0 = performance.now();
    const base = Date.now() - total * 1000;
    const rows = [];
    for (let i = 1; i < total; i++) {
      const at = base + Math.floor(i / 4) * 1000; // groups of 4 share created_at: pages also split on the id tie-break
      const enabled = i % pausedEvery !== 0;
      rows.push({
        ...template,
        id: randomBytes(16).toString('base64url'),
        user_id: user.id,
        name: `bench monitor ${String(i).padStart(5, '0')}`,
        target: `https://svc-${i % 100}.example.com/health?n=${i}`,
        search_text: `bench monitor ${String(i).padStart(5, '0')} https://svc-${i % 100}.example.com/health?n=${i}`.slice(0, 255),
        enabled: enabled ? 1 : 0,
        status: enabled ? 'unknown' : 'paused',
        next_run_at: enabled ? at : null,
        created_at: at,
        updated_at: at,
      });
    }
    await store.insert(rows);
    const ids = [template.id, ...rows.map((r) => r.id)];
    const paused = rows.filter((r) => r.status === 'paused').length;
    const matching = ids.length / 100;
    console.log(
      `  ${ids.length} monitors for one person (${paused} paused), inserted directly in ${fmt(performance.now() - t0)}`,
    );

    // Timed: a warm session, sequential calls.
    s = await start(env);
    const walks = {
      unfiltered: { args: {}, cursor: undefined, page: 0, times: [], byPage: [], seen: new Set(), expect: ids.length },
      'status=unknown': {
        args: { status: 'unknown' },
        cursor: undefined,
        page: 0,
        times: [],
        seen: new Set(),
        expect: ids.length - paused,
      },
      'status=paused': { args: { status: 'paused' }, cursor: undefined, page: 0, times: [], seen: new Set(), expect: paused },
      [`query="${queryText}"`]: {
        args: { query: queryText },
        cursor: undefined,
        page: 0,
        times: [],
        seen: new Set(),
        expect: matching,
      },
    };
    const cycle = ['unfiltered', 'unfiltered', 'unfiltered', 'unfiltered', 'unfiltered', 'unfiltered', 'unfiltered'];
    cycle.push(...Object.keys(walks).slice(1)); // 7 unfiltered pages, then one page of each filtered walk
    const page = async (w, timed) => {
      const args = { ...w.args, limit: pageSize, ...(w.cursor ? { cursor: w.cursor } : {}) };
      const t1 = performance.now();
      const out = await call(s, 'list_monitors', args);
      const ms = performance.now() - t1;
      if (timed) {
        w.times.push(ms);
        w.byPage?.push([w.page, ms]);
      }
      if (w.seen) for (const m of out.monitors) w.seen.add(m.id);
      w.page++;
      w.cursor = out.nextCursor;
      if (!w.cursor) {
        // End of a walk: the first full pass must have seen each monitor exactly once.
        if (w.seen && w.seen.size !== w.expect) throw new Error(`a full walk saw ${w.seen.size} monitors, expected ${w.expect}`);
        w.seen = undefined;
        w.page = 0;
      }
    };
    for (let i = 0; i < 20; i++) {
      await page(walks.unfiltered, false);
      await call(s, 'get_monitor', { id: ids[randomInt(ids.length)] });
    }
    for (let i = 0; i < pageCalls; i++) await page(walks[cycle[i % cycle.length]], true);
    const gets = [];
    for (let i = 0; i < getCalls; i++) {
      const id = ids[randomInt(ids.length)];
      const t1 = performance.now();
      const out = await call(s, 'get_monitor', { id });
      gets.push(performance.now() - t1);
      if (out.monitor.id !== id) throw new Error('get_monitor returned another monitor');
    }
    await s.close();

    const lists = Object.values(walks).flatMap((w) => w.times);
    console.log(`  list_monitors (limit ${pageSize})  ${stats(lists)}`);
    for (const [k, w] of Object.entries(walks)) console.log(`    ${k.padEnd(22)} ${stats(w.times)}`);
    const lastPage = Math.ceil(ids.length / pageSize) - 1;
    const early = walks.unfiltered.byPage.filter(([p]) => p < 20).map(([, ms]) => ms);
    const late = walks.unfiltered.byPage.filter(([p]) => p > lastPage - 20).map(([, ms]) => ms);
    console.log(`    unfiltered pages 1-20  ${stats(early)}`);
    console.log(`    unfiltered last 20     ${stats(late)}`);
    console.log(`  get_monitor (random id)  ${stats(gets)}`);

    // SQL statements per call, from a second server logging every statement.
    const d = await start({ ...env, LOG_LEVEL: 'debug' });
    for (let i = 0; i < 5; i++) {
      await call(d, 'list_monitors', { limit: pageSize });
      await call(d, 'get_monitor', { id: ids[0] });
    }
    await loggedSql(d);
    const batches = {};
    const countPages = async (name, args) => {
      let cursor;
      for (let i = 0; i < counted; i++) {
        const out = await call(d, 'list_monitors', { ...args, limit: pageSize, ...(cursor ? { cursor } : {}) });
        cursor = out.nextCursor;
      }
      batches[name] = await loggedSql(d);
    };
    await countPages('list_monitors', {});
    await countPages('list_monitors status=unknown', { status: 'unknown' });
    await countPages(`list_monitors query=${queryText}`, { query: queryText });
    for (let i = 0; i < counted; i++) await call(d, 'get_monitor', { id: ids[randomInt(ids.length)] });
    batches.get_monitor = await loggedSql(d);
    await d.close();
    console.log(`  SQL statements per warm call (${counted} calls each; list pages walk on from the first):`);
    for (const [name, b] of Object.entries(batches)) {
      console.log(`    ${name.padEnd(30)} ${(b.n / counted).toFixed(2)}`);
      for (const [text, n] of b.distinct) console.log(`      ${String(n).padStart(3)}x ${text}`);
    }

    // Query plans of those very statements, with real parameters.
    const find = (batch, re) => [...batches[batch].distinct.keys()].find((t) => re.test(t));
    const listFirst = find('list_monitors', /^select \* from .monitors.(?!.*created_at. >)/);
    const listCursor = find('list_monitors', /^select \* from .monitors..*created_at. >/);
    const listStatus = find('list_monitors status=unknown', /^select \* from .monitors.(?!.*created_at. >)/);
    const listQuery = find(`list_monitors query=${queryText}`, /^select .m.\.\* from .monitors. as .m.(?!.*created_at. >)/);
    const getOne = find('get_monitor', /^select \* from .monitors./);
    const getResults = find('get_monitor', /^select \* from .monitor_results./);
    const [deep] = await store.all(
      'select created_at, id from monitors where user_id = ? order by created_at, id limit 1 offset ?',
      [user.id, ids.length - 1000],
    );
    const probe = ids[randomInt(ids.length)];
    const plans = [
      ['list_monitors, first page', listFirst, [user.id, pageSize + 1]],
      [
        `list_monitors, cursor page (after row ${ids.length - 1000})`,
        listCursor,
        [user.id, deep.created_at, deep.created_at, deep.created_at, deep.id, pageSize + 1],
      ],
      ['list_monitors status=unknown, first page', listStatus, [user.id, 'unknown', pageSize + 1]],
      [`list_monitors query=${queryText}, first page`, listQuery, [user.id, `%${queryText}%`, pageSize + 1]],
      ['get_monitor, the monitor', getOne, [user.id, probe]],
      ['get_monitor, its latest result', getResults, [probe, user.id, 1]],
    ];
    console.log(`  Query plans (${label.includes('SQLite') ? 'EXPLAIN QUERY PLAN' : 'EXPLAIN, with ANALYZE actual rows'}):`);
    for (const [what, sql, params] of plans) {
      if (!sql) {
        console.log(`    ${what}: statement not seen in the debug log`);
        continue;
      }
      const holes = sql.split('?').length - 1;
      if (holes !== params.length) {
        console.log(`    ${what}: ${holes} parameters, expected ${params.length}: ${sql}`);
        continue;
      }
      console.log(`    ${what} (direct on the database: median ${fmt(await direct(store, sql, params))})`);
      console.log(`      ${sql}`);
      for (const line of await store.explain(sql, params)) console.log(`      | ${line}`);
    }
  } finally {
    await store.close();
  }
}

const common = { MONITORS_MCP_DOTENV: 'off', LOG_LEVEL: 'warn', PLAN_FREE_MAX_MONITORS: String(total * 2) };
console.log(
  `list_monitors and get_monitor over stdio, one person with ${total} monitors, warm session, sequential calls ` +
    `(targets: p50 < 5 ms, p99 < 20 ms; 1 SQL statement per list page):`,
);

const home = tempHome();
await run('embedded (SQLite)', { ...common, MONITORS_MCP_HOME: home }, () => openSqlite(home));

const db = `monitors_bench_${randomBytes(4).toString('hex')}`;
try {
  await mysqlAdmin(`CREATE DATABASE ${db} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
} catch (err) {
  console.log(`\nMariaDB + Redis skipped: ${err.code ?? err.message} (set BENCH_MYSQL_ADMIN_URL)`);
  process.exit(0);
}
try {
  const url = new URL(adminUrl);
  url.pathname = `/${db}`;
  await run(
    'MariaDB + Redis',
    {
      ...common,
      MONITORS_MCP_HOME: tempHome(),
      DATABASE_URL: url.toString(),
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `bench:${randomBytes(3).toString('hex')}:`,
      JWT_SECRET: randomBytes(48).toString('base64url'),
      MASTER_KEY: randomBytes(32).toString('base64'),
    },
    () => openMysql(url.toString()),
  );
} finally {
  await mysqlAdmin(`DROP DATABASE IF EXISTS ${db}`);
}
