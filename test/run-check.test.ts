// run_check through a real stdio child on both backends (ALLOW_PRIVATE_TARGETS
// on, so it can reach a server this file starts on 127.0.0.1): an unsaved
// definition writes nothing; a saved monitor's result is stored and shown by
// get_monitor; id plus a definition, neither, and a missing secret are clear
// errors; progress arrives when asked for; a cancelled check stops promptly,
// closes its connection, stores nothing and leaves the server answering; and a
// secret's value, echoed back by the target, appears in no output or table.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_TABLES, snapshotAll } from './helpers/all-tables.js';
import { backends, makeEnv, type TestEnv } from './helpers/env.js';
import { dbRows } from './helpers/login.js';
import { type RawServer, spawnRaw } from './helpers/raw-stdio.js';
import { type StdioServer, startServer } from './helpers/stdio.js';

type Json = Record<string, unknown>;
type Result = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Json };
interface CheckOut {
  result: {
    status: string;
    latencyMs: number;
    statusCode: number | null;
    value: number | null;
    error: string | null;
    checkedAt: string;
  };
  monitorId?: string;
  stored: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 20 ms for at most `ms`. */
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 20) {
    if (cond()) return true;
    await sleep(20);
  }
  return cond();
}

// The target: /ok, /json, /stall (never answers; its sockets are tracked), /echo (repeats the Authorization header).
const stalls: { socket: Socket; closed: boolean }[] = [];
const seenAuth: string[] = [];

function route(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/ok') res.writeHead(200).end('hello from the target');
  else if (url.pathname === '/json') res.writeHead(200, { 'content-type': 'application/json' }).end('{"queue":{"depth":"42"}}');
  else if (url.pathname === '/stall') {
    const entry = { socket: req.socket, closed: false };
    req.socket.once('close', () => {
      entry.closed = true;
    });
    stalls.push(entry);
  } else if (url.pathname.startsWith('/echo')) {
    const auth = String(req.headers.authorization ?? '');
    seenAuth.push(auth);
    res
      .writeHead(500, { 'content-type': 'application/json', 'x-echo': auth })
      .end(JSON.stringify({ auth, path: url.pathname, query: url.search, message: `rejected ${auth}` }));
  } else res.writeHead(404).end();
}

let target: Server;
let BASE = '';

beforeAll(async () => {
  target = createServer(route);
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  BASE = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of stalls) s.socket.destroy();
  target.closeAllConnections();
  await new Promise((r) => target.close(r));
});

describe.each(backends)('run_check over stdio (%s)', (backend) => {
  let t: TestEnv;
  let server: StdioServer;
  let raw: RawServer | undefined;
  const email = 'checker@example.com';

  beforeAll(async () => {
    t = await makeEnv(backend, { MONITORS_MCP_WORKER: 'off', ALLOW_PRIVATE_TARGETS: 'true', LOG_LEVEL: 'debug' });
    server = await startServer(t.env);
    await call('request_login_code', { email });
    const v = await call('verify_login_code', { email, code: await server.codeFor(email) });
    expect(v.isError, v.content[0]?.text).toBeFalsy();
  });

  afterAll(async () => {
    raw?.kill();
    await server?.close();
    await t?.cleanup();
  });

  async function call(name: string, args: Json = {}): Promise<Result> {
    return (await server.client.callTool({ name, arguments: args })) as Result;
  }

  async function ok<T = Json>(name: string, args: Json = {}): Promise<T> {
    const r = await call(name, args);
    if (r.isError) throw new Error(`${name} ${JSON.stringify(args)} failed: ${r.content[0]?.text}`);
    expect(r.content[0]!.text).toBe(JSON.stringify(r.structuredContent));
    return r.structuredContent as T;
  }

  async function err(name: string, args: Json): Promise<string> {
    const r = await call(name, args);
    expect(r.isError, `${name} should fail: ${r.content[0]?.text}`).toBe(true);
    expect(r.structuredContent).toBeUndefined();
    expect(r.content).toHaveLength(1);
    return r.content[0]!.text;
  }

  async function create(args: Json): Promise<string> {
    const out = await ok<{ monitor: { id: string } }>('create_monitor', args);
    return out.monitor.id;
  }

  const resultsOf = async (id: string) =>
    dbRows(t, 'SELECT * FROM monitor_results WHERE monitor_id = ? ORDER BY checked_at', [id]);

  it('an unsaved definition runs once and writes nothing to any table', async () => {
    const before = await snapshotAll(t);
    const out = await ok<CheckOut>('run_check', {
      type: 'http',
      target: `${BASE}/json`,
      jsonPath: 'queue.depth',
      keyword: 'depth',
    });
    expect(out).toMatchObject({ stored: false, result: { status: 'up', statusCode: 200, value: 42, error: null } });
    expect(out.monitorId).toBeUndefined();
    const down = await ok<CheckOut>('run_check', { type: 'tcp', target: '127.0.0.1:1' });
    expect(down.result).toMatchObject({ status: 'down', error: 'The connection was refused (nothing listening there).' });
    expect(await snapshotAll(t)).toEqual(before);
  });

  it('a saved monitor: the result is stored, and get_monitor shows the status, the time and the latest result', async () => {
    const id = await create({ name: 'queue', type: 'http', target: `${BASE}/json`, jsonPath: 'queue.depth' });
    const fresh = await ok<{ monitor: Json }>('get_monitor', { id });
    expect(fresh.monitor).toMatchObject({ status: 'unknown', lastCheckedAt: null, latestResult: null });

    const out = await ok<CheckOut>('run_check', { id });
    expect(out).toMatchObject({ stored: true, monitorId: id, result: { status: 'up', statusCode: 200, value: 42, error: null } });
    const rows = await resultsOf(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: 'up',
      status_code: 200,
      latency_ms: out.result.latencyMs,
      error: null,
    });
    expect(Number(rows[0]!.value)).toBe(42);
    expect(Number(rows[0]!.checked_at)).toBe(Date.parse(out.result.checkedAt));

    const got = await ok<{ monitor: Json & { latestResult: Json } }>('get_monitor', { id });
    expect(got.monitor).toMatchObject({
      status: 'up',
      lastCheckedAt: out.result.checkedAt,
      lastLatencyMs: out.result.latencyMs,
      lastValue: 42,
      lastError: null,
    });
    expect(got.monitor.latestResult).toMatchObject({ status: 'up', checkedAt: out.result.checkedAt, value: 42, statusCode: 200 });

    // A second, failing run is stored too and becomes the latest.
    await ok('update_monitor', { id, jsonPath: 'queue.missing' });
    const second = await ok<CheckOut>('run_check', { id });
    expect(second.result).toMatchObject({ status: 'down', value: null, error: 'jsonPath queue.missing is not in the JSON.' });
    expect(await resultsOf(id)).toHaveLength(2);
    const after = await ok<{ monitor: Json }>('get_monitor', { id });
    expect(after.monitor).toMatchObject({ status: 'down', lastError: 'jsonPath queue.missing is not in the JSON.' });
  });

  it('id and a definition together, neither, an unknown id and a missing secret are clear errors that store nothing', async () => {
    const id = await create({ name: 'both', type: 'tcp', target: '127.0.0.1:1' });
    const before = await snapshotAll(t);
    expect(await err('run_check', { id, type: 'http', target: `${BASE}/ok` })).toBe(
      'Give either id (a saved monitor) or a definition, not both (you also gave type, target).',
    );
    expect(await err('run_check', {})).toBe('Give id to check a saved monitor, or type and target to try a definition.');
    expect(await err('run_check', { id: 'q3J9x0sKQ0aV7m1wZb2L4g' })).toMatch(/^No monitor with that id/);
    expect(
      await err('run_check', { type: 'http', target: `${BASE}/ok`, headers: { Authorization: 'Bearer {{secrets.NOPE}}' } }),
    ).toBe('The definition refers to {{secrets.NOPE}}, but you have no secret named NOPE: create it with set_secret first.');
    expect(await err('run_check', { type: 'http' })).toMatch(/target is required/);
    expect(await snapshotAll(t)).toEqual(before);
  });

  it('sends progress notifications when the client asks for them, before the result, and none otherwise', async () => {
    const events: Json[] = [];
    const r = (await server.client.callTool({ name: 'run_check', arguments: { type: 'http', target: `${BASE}/ok` } }, undefined, {
      onprogress: (p) => {
        events.push(p as unknown as Json);
      },
    })) as Result;
    expect(r.isError).toBeFalsy();
    // The SDK client handles notifications a microtask later than responses, so a "done" notification that
    // arrives in the same read as the result can be dropped by the client; the first one always arrives.
    await until(() => events.length >= 1, 1000);
    expect(events[0]).toEqual({ progress: 0, total: 1, message: 'Checking the definition' });

    // On the wire: both notifications, with the token the client gave, before the result.
    raw = spawnRaw(t.env);
    await raw.initialize();
    const res = await raw.request('tools/call', {
      name: 'run_check',
      arguments: { type: 'http', target: `${BASE}/ok` },
      _meta: { progressToken: 'tok-1' },
    });
    expect((res.result as unknown as Result).isError).toBeFalsy();
    const at = (m: object) => raw!.messages.indexOf(m as never);
    const progress = raw.notifications('notifications/progress');
    expect(progress.map((m) => m.params)).toEqual([
      { progressToken: 'tok-1', progress: 0, total: 1, message: 'Checking the definition' },
      { progressToken: 'tok-1', progress: 1, total: 1, message: 'Done: up' },
    ]);
    expect(at(progress[1]!)).toBeLessThan(at(res));
    // Without a token, none.
    await raw.request('tools/call', { name: 'run_check', arguments: { type: 'tcp', target: '127.0.0.1:1' } });
    expect(raw.notifications('notifications/progress')).toHaveLength(2);
    raw.kill();
    raw = undefined;
  });

  it('a cancelled check stops promptly, closes its connection, stores nothing, and the server keeps answering', async () => {
    const id = await create({ name: 'stalls', type: 'http', target: `${BASE}/stall`, timeoutMs: 30_000 });
    const cancelOne = async (args: Json) => {
      const already = stalls.length;
      const ac = new AbortController();
      const pending = server.client.callTool({ name: 'run_check', arguments: args }, undefined, { signal: ac.signal });
      const settled = pending.then(
        () => 'resolved',
        (e: Error) => `rejected: ${e.message}`,
      );
      expect(await until(() => stalls.length > already, 5000), 'the check reached the stalling server').toBe(true);
      const entry = stalls.at(-1)!;
      const abortedAt = performance.now();
      ac.abort('the person stopped it');
      const outcome = await settled;
      expect(outcome).toMatch(/^rejected/);
      expect(performance.now() - abortedAt).toBeLessThan(500);
      // The server really stopped the check: its connection to the target closes, long before the 30 s deadline.
      expect(await until(() => entry.closed, 2000), 'the check connection closed after the cancel').toBe(true);
    };

    await cancelOne({ id });
    await cancelOne({ type: 'http', target: `${BASE}/stall`, timeoutMs: 30_000 });

    const still = await ok<CheckOut>('run_check', { type: 'http', target: `${BASE}/ok` });
    expect(still.result.status).toBe('up');
    expect((await ok<Json>('whoami')).signedIn).toBe(true);
    await sleep(200);
    expect(await resultsOf(id)).toEqual([]);
    expect((await ok<{ monitor: Json }>('get_monitor', { id })).monitor).toMatchObject({
      status: 'unknown',
      lastCheckedAt: null,
      latestResult: null,
    });
  });

  it("a secret's value, echoed back by the target, appears in no output, log or table", async () => {
    // A second process on the same home is signed in by the credentials file; it shows every stdout line.
    raw = spawnRaw(t.env);
    await raw.initialize();
    const results: string[] = [];
    const rcall = async (name: string, args: Json) => {
      const res = await raw!.request('tools/call', { name, arguments: args }, 30_000);
      results.push(JSON.stringify(res));
      return res.result as unknown as Result;
    };
    expect((await rcall('whoami', {})).structuredContent).toMatchObject({ signedIn: true });

    const VALUE = `tk-${randomBytes(12).toString('hex')}-ECHOED`;
    expect((await rcall('set_secret', { name: 'ECHO_TOKEN', value: VALUE })).isError).toBeFalsy();
    const definition = {
      type: 'http',
      target: `${BASE}/echo/{{secrets.ECHO_TOKEN}}?k={{secrets.ECHO_TOKEN}}`,
      headers: { Authorization: 'Bearer {{secrets.ECHO_TOKEN}}' },
      assertions: [
        { source: 'json', path: 'auth', op: 'eq', value: 'Bearer wrong' },
        { source: 'header', path: 'X-Echo', op: 'matches', value: '^nope' },
        { source: 'json', path: 'query', op: 'eq', value: 'wrong' },
        { source: 'json', path: 'message', op: 'eq', value: 'wrong' },
      ],
    };
    const created = await rcall('create_monitor', { name: 'echoes', ...definition });
    expect(created.isError, created.content[0]?.text).toBeFalsy();
    const id = (created.structuredContent!.monitor as { id: string }).id;

    const saved = await rcall('run_check', { id });
    const savedOut = saved.structuredContent as unknown as CheckOut;
    expect(savedOut.result).toMatchObject({ status: 'down', statusCode: 500 });
    // The values did come back and were replaced, so the search below is not vacuous.
    expect(savedOut.result.error).toContain('[secret]');
    expect(savedOut.result.error).toContain('HTTP 500 is not an expected status');
    expect(seenAuth.at(-1)).toBe(`Bearer ${VALUE}`);

    const unsaved = await rcall('run_check', definition);
    expect((unsaved.structuredContent as unknown as CheckOut).result.error).toContain('[secret]');
    const otherAssertions = await rcall('run_check', {
      ...definition,
      expectedStatus: '500',
      assertions: [
        { source: 'body', op: 'matches', value: '^nope' },
        { source: 'json', path: 'path', op: 'eq', value: 'wrong' },
        { source: 'header', path: 'X-Echo', op: 'eq', value: 'wrong' },
      ],
    });
    expect((otherAssertions.structuredContent as unknown as CheckOut).result.error).toContain('[secret]');
    // Failures before any answer: refused, and the deadline, with the value in the URL.
    await rcall('run_check', { type: 'http', target: `http://127.0.0.1:1/{{secrets.ECHO_TOKEN}}` });
    await rcall('run_check', {
      type: 'http',
      target: `${BASE}/stall?k={{secrets.ECHO_TOKEN}}`,
      headers: { Authorization: '{{secrets.ECHO_TOKEN}}' },
      timeoutMs: 1000,
    });
    await rcall('get_monitor', { id });
    await rcall('list_monitors', {});
    results.push(JSON.stringify(await raw.request('resources/read', { uri: `monitor://${id}` })));
    await raw.endStdin();

    const needles = [VALUE, Buffer.from(VALUE).toString('base64'), Buffer.from(VALUE).toString('hex'), VALUE.slice(3, 27)];
    const nowhere = (hay: string, where: string) => {
      for (const n of needles) expect(hay.includes(n), `the secret value (or its encoding) in ${where}`).toBe(false);
    };
    nowhere(results.join('\n'), 'tool results');
    nowhere(raw.lines.join('\n'), 'stdout');
    expect(raw.badLines).toEqual([]);
    nowhere(raw.stderr(), 'stderr of the raw server');
    nowhere(server.stderr(), 'stderr of the client server');
    expect(raw.stderr()).toContain('"level":"debug"');

    const snap = await snapshotAll(t);
    expect(snap.monitor_results.filter((r) => r.monitor_id === id)).toHaveLength(1);
    for (const table of ALL_TABLES) {
      for (const row of snap[table]) {
        for (const [col, v] of Object.entries(row)) {
          if (v === null || v === undefined || (table === 'secrets' && col === 'ciphertext')) continue;
          nowhere(Buffer.isBuffer(v) ? v.toString('latin1') : String(v), `${table}.${col}`);
        }
      }
    }
    if (backend === 'sqlite') {
      for (const f of readdirSync(t.home).filter((n) => n.startsWith('monitors.db'))) {
        nowhere(readFileSync(join(t.home, f)).toString('latin1'), f);
      }
    }
  });
});
