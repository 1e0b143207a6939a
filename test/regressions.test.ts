// Inputs that broke things once, kept as tests: a catastrophic pattern in a
// `matches` assertion, JSON nested too deep to walk, a secret sealed under a
// key the server no longer has, and an alert resolved by hand before its
// "firing" notification went out.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { createLogger } from '../src/infra/logger.js';
import { evaluateAssertion } from '../src/monitors/assertions.js';
import { runCheck } from '../src/monitors/checks.js';
import { buildDefinition } from '../src/monitors/definition.js';
import { Scheduler } from '../src/monitors/scheduler.js';
import { makeApp, makeEnv, type TestEnv } from './helpers/env.js';
import { signInApp } from './helpers/tool-session.js';

let server: http.Server;
let base = '';
let siteStatus = 500;
const hooks: string[] = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/deep') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
      return;
    }
    if (req.url === '/hook') {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        hooks.push((JSON.parse(body) as { event: string }).event);
        res.writeHead(200);
        res.end();
      });
      return;
    }
    res.writeHead(siteStatus);
    res.end('x');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('regressions', () => {
  let t: TestEnv;
  let apps: App[] = [];
  afterEach(async () => {
    for (const a of apps) await a.close();
    apps = [];
    await t?.cleanup();
  });

  it('calls sent just before stdin closes still get their answers', async () => {
    t = await makeEnv('sqlite');
    const { spawn } = await import('node:child_process');
    const { SERVER_ENTRY } = await import('./helpers/stdio.js');
    const child = spawn(process.execPath, [SERVER_ENTRY], {
      env: { PATH: process.env.PATH, ...t.env },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    child.stdin.end(
      [
        {
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
        },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } },
      ]
        .map((m) => JSON.stringify(m))
        .join('\n') + '\n',
    );
    expect(await exited).toBe(0);
    const replies = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id?: number; result?: { structuredContent?: unknown } });
    expect(replies.map((r) => r.id)).toEqual([1, 2]);
    expect(replies[1]!.result!.structuredContent).toMatchObject({ signedIn: false });
  });

  it('a catastrophic pattern fails its assertion within its time budget instead of freezing the process', () => {
    const started = Date.now();
    const v = evaluateAssertion(
      { source: 'body', op: 'matches', value: '^(a+)+$' },
      { latencyMs: 1, body: `${'a'.repeat(40)}!` },
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(v).toEqual({ ok: false, message: expect.stringContaining('the pattern took longer than 50 ms on this input') });
    expect(
      evaluateAssertion({ source: 'body', op: 'matches', value: '^a+!$' }, { latencyMs: 1, body: `${'a'.repeat(40)}!` }),
    ).toEqual({ ok: true });
  });

  it('JSON nested too deep to walk makes the check down with a sentence, not an exception', async () => {
    const def = buildDefinition({ name: 'deep', type: 'http', target: `${base}/deep`, jsonPath: 'a' }, { intervalSeconds: 300 });
    const r = await runCheck(def, { allowPrivate: true, secret: async () => undefined });
    expect(r.status).toBe('down');
    expect(r.value).toBeNull();
    expect(r.error).toMatch(/^jsonPath a is .*not a number\.$|^The response could not be evaluated: /);
  });

  it('a secret under a key the server no longer has is a clear sentence', async () => {
    t = await makeEnv('sqlite', { ALLOW_PRIVATE_TARGETS: 'true', MASTER_KEY: randomBytes(32).toString('base64') });
    const first = makeApp(t.env);
    apps.push(first);
    const me = await signInApp(first, 'keys@example.com');
    await me.ok('set_secret', { name: 'TOKEN', value: 'tok-123456' });
    const second = makeApp({ ...t.env, MASTER_KEY: randomBytes(32).toString('base64') });
    apps.push(second);
    const { callerFor } = await import('./helpers/tool-session.js');
    const again = callerFor(second, me.userId);
    expect(
      await again.err('run_check', { type: 'http', target: `${base}/`, headers: { Authorization: 'Bearer {{secrets.TOKEN}}' } }),
    ).toBe(
      'The secret TOKEN was stored under a MASTER_KEY this server does not have: set it again with set_secret, or the operator restores that key (as MASTER_KEY_PREVIOUS).',
    );
  });

  it('an alert resolved by hand sends "resolved", and its queued "firing" is not sent late', async () => {
    t = await makeEnv('sqlite', { ALLOW_PRIVATE_TARGETS: 'true' });
    const app = makeApp(t.env);
    apps.push(app);
    hooks.length = 0;
    siteStatus = 500;
    const me = await signInApp(app, 'byhand@example.com');
    const { monitor } = await me.ok<{ monitor: { id: string } }>('create_monitor', {
      name: 'site',
      type: 'http',
      target: `${base}/`,
    });
    await me.ok('create_alert_rule', {
      monitorId: monitor.id,
      condition: { type: 'down' },
      forChecks: 1,
      channels: [{ type: 'webhook', url: `${base}/hook` }],
    });
    const { database, secrets } = await app.services();
    await database.db
      .updateTable('monitors')
      .set({ next_run_at: Date.now() + 86_400_000 })
      .where('id', '=', monitor.id)
      .execute();
    await me.ok('run_check', { id: monitor.id });
    const [alert] = (await me.ok<{ alerts: { id: string }[] }>('list_alerts', { state: 'open' })).alerts;
    await me.ok('resolve_alert', { id: alert!.id });
    const scheduler = new Scheduler({
      db: database.db,
      secrets,
      logger: createLogger('silent'),
      allowPrivateTargets: true,
      concurrency: 4,
      pollMs: 1000,
      retentionDays: 30,
      mailer: app.mailer,
    });
    await scheduler.poll();
    await new Promise((r) => setTimeout(r, 400));
    await scheduler.stop(0);
    expect(hooks).toEqual(['alert.resolved']);
    const rows = await database.db.selectFrom('notifications').select(['event', 'status']).orderBy('created_at').execute();
    expect(rows).toEqual([
      { event: 'firing', status: 'skipped' },
      { event: 'resolved', status: 'sent' },
    ]);
  });
});
