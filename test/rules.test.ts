// Rule evaluation on both backends: flapping below forChecks never fires, one
// alert per incident, resolved after recoverChecks good results, and each
// condition type reads the right part of a result.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { conditionHolds } from '../src/monitors/rule-engine.js';
import { backends, makeApp, makeEnv, type TestEnv } from './helpers/env.js';
import { signInApp } from './helpers/tool-session.js';

let status = 200;
let server: http.Server;
let base = '';
beforeAll(async () => {
  server = http.createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ depth: status === 200 ? 3 : 40 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe.each(backends)('alert rules fire and resolve (%s)', (backend) => {
  let t: TestEnv;
  let app: App;
  afterEach(async () => {
    await app?.close();
    await t?.cleanup();
  });

  it('fires once after forChecks, never while flapping, and resolves after recoverChecks', async () => {
    t = await makeEnv(backend, { ALLOW_PRIVATE_TARGETS: 'true' });
    app = makeApp(t.env);
    const me = await signInApp(app, 'rules@example.com');
    const { monitor } = await me.ok<{ monitor: { id: string } }>('create_monitor', {
      name: 'api',
      type: 'http',
      target: `${base}/`,
    });
    const { rule } = await me.ok<{ rule: { id: string } }>('create_alert_rule', {
      monitorId: monitor.id,
      condition: { type: 'down' },
      forChecks: 3,
      recoverChecks: 2,
      severity: 'critical',
    });
    const check = async (code: number) => {
      status = code;
      const r = await me.ok<{ result: { status: string } }>('run_check', { id: monitor.id });
      expect(r.result.status).toBe(code === 200 ? 'up' : 'down');
    };
    const open = async () =>
      (
        await me.ok<{ alerts: { id: string; state: string; ruleId: string; message: string }[] }>('list_alerts', {
          state: 'open',
        })
      ).alerts;

    // Flapping: never three downs in a row.
    for (const code of [500, 500, 200, 500, 500, 200, 500]) await check(code);
    expect(await open()).toEqual([]);

    await check(500);
    expect(await open()).toEqual([]); // two in a row
    await check(500); // the third in a row
    const fired = await open();
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ state: 'firing', ruleId: rule.id });
    expect(fired[0]!.message).toMatch(/^api is down: HTTP 500 is not an expected status/);

    for (let i = 0; i < 3; i++) await check(500); // still down: no second alert
    expect(await open()).toHaveLength(1);

    await check(200); // one good result is not enough
    expect(await open()).toHaveLength(1);
    await check(200);
    expect(await open()).toEqual([]);
    const all = (await me.ok<{ alerts: { id: string; state: string }[] }>('list_alerts', {})).alerts;
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ id: fired[0]!.id, state: 'resolved' });

    // A new incident is a new alert.
    for (let i = 0; i < 3; i++) await check(500);
    const again = await open();
    expect(again).toHaveLength(1);
    expect(again[0]!.id).not.toBe(fired[0]!.id);
  });

  it('a rule for all monitors and a valueAbove rule read the extracted value', async () => {
    t = await makeEnv(backend, { ALLOW_PRIVATE_TARGETS: 'true' });
    app = makeApp(t.env);
    const me = await signInApp(app, 'values@example.com');
    const { monitor } = await me.ok<{ monitor: { id: string } }>('create_monitor', {
      name: 'queue',
      type: 'http',
      target: `${base}/`,
      jsonPath: 'depth',
      expectedStatus: '200-599',
    });
    await me.ok('create_alert_rule', { condition: { type: 'valueAbove', value: 10 }, forChecks: 1, recoverChecks: 1 });
    status = 200;
    await me.ok('run_check', { id: monitor.id });
    expect((await me.ok<{ alerts: unknown[] }>('list_alerts', { state: 'open' })).alerts).toEqual([]);
    status = 503; // the body now says depth 40
    await me.ok('run_check', { id: monitor.id });
    const open = (await me.ok<{ alerts: { message: string }[] }>('list_alerts', { state: 'open' })).alerts;
    expect(open).toHaveLength(1);
    expect(open[0]!.message).toBe('queue reports 40, above 10.');
  });
});

describe('conditions', () => {
  const r = (status: string, latency_ms: number | null, value: number | null) => ({ status, latency_ms, value, error: null });
  it('read status, latency and value, and never treat a missing value as 0', () => {
    expect(conditionHolds({ type: 'down' }, r('down', 5, null))).toBe(true);
    expect(conditionHolds({ type: 'down' }, r('up', 5, null))).toBe(false);
    expect(conditionHolds({ type: 'latencyAbove', ms: 100 }, r('up', 101, null))).toBe(true);
    expect(conditionHolds({ type: 'latencyAbove', ms: 100 }, r('up', 100, null))).toBe(false);
    expect(conditionHolds({ type: 'latencyAbove', ms: 100 }, r('down', 5000, null))).toBe(false);
    expect(conditionHolds({ type: 'valueBelow', value: 1 }, r('up', 1, null))).toBe(false);
    expect(conditionHolds({ type: 'valueBelow', value: 1 }, r('up', 1, 0))).toBe(true);
    expect(conditionHolds({ type: 'certExpiresWithin', days: 14 }, r('up', 1, 14))).toBe(true);
    expect(conditionHolds({ type: 'certExpiresWithin', days: 14 }, r('up', 1, 15))).toBe(false);
    expect(conditionHolds({ type: 'certExpiresWithin', days: 14 }, r('down', 1, null))).toBe(false);
  });
});
