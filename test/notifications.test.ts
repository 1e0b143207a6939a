// Notifications on both backends: a firing and a resolved notification per
// incident, by email (the console mailer's outbox) and webhook; a failing
// webhook is retried later and checks are not held up; acknowledging stops
// repeats; nothing new is sent after a restart while firing.
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { createLogger } from '../src/infra/logger.js';
import { Scheduler } from '../src/monitors/scheduler.js';
import { backends, makeApp, makeEnv, type TestEnv } from './helpers/env.js';
import { callerFor, signInApp } from './helpers/tool-session.js';

let siteStatus = 200;
let hookStatus = 200;
const hooks: { event: string; alert: { state: string; message: string } }[] = [];
let site: http.Server;
let hook: http.Server;
let siteUrl = '';
let hookUrl = '';

beforeAll(async () => {
  site = http.createServer((_req, res) => {
    res.writeHead(siteStatus);
    res.end('site');
  });
  hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      if (hookStatus === 200) hooks.push(JSON.parse(body));
      res.writeHead(hookStatus);
      res.end();
    });
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await new Promise<void>((r) => site.close(() => r()));
  await new Promise<void>((r) => hook.close(() => r()));
});

describe.each(backends)('notifications (%s)', (backend) => {
  let t: TestEnv;
  let app: App;
  afterEach(async () => {
    await app?.close();
    await t?.cleanup();
  });

  it('sends firing and resolved once per incident, retries a failing webhook, stops repeats on acknowledge', async () => {
    t = await makeEnv(backend, { ALLOW_PRIVATE_TARGETS: 'true' });
    app = makeApp(t.env);
    hooks.length = 0;
    hookStatus = 200;
    const me = await signInApp(app, 'notify@example.com');
    const { monitor } = await me.ok<{ monitor: { id: string } }>('create_monitor', {
      name: 'shop',
      type: 'http',
      target: siteUrl,
    });
    await me.ok('create_alert_rule', {
      monitorId: monitor.id,
      condition: { type: 'down' },
      forChecks: 2,
      recoverChecks: 1,
      repeatMinutes: 5,
      channels: [{ type: 'email' }, { type: 'webhook', url: hookUrl }],
    });
    const { database, secrets } = await app.services();
    // The schedulers' clock runs with real time plus a jump the test controls.
    let skew = 0;
    const scheduler = new Scheduler({
      db: database.db,
      secrets,
      logger: createLogger('silent'),
      allowPrivateTargets: true,
      concurrency: 4,
      pollMs: 1000,
      retentionDays: 30,
      mailer: app.mailer,
      now: () => Date.now() + skew,
    });
    // Checks here run through run_check only: the scheduler's own round is not due for days.
    await database.db
      .updateTable('monitors')
      .set({ next_run_at: Date.now() + 30 * 86_400_000 })
      .where('id', '=', monitor.id)
      .execute();
    const deliver = async () => {
      await scheduler.poll();
      await new Promise((r) => setTimeout(r, 300));
    };
    const outbox = () =>
      readdirSync(join(t.home, 'outbox'))
        .map((f) => readFileSync(join(t.home, 'outbox', f), 'utf8'))
        .filter((m) => m.includes('[monitors]'));
    const rows = async () =>
      database.db.selectFrom('notifications').select(['event', 'status', 'attempts']).orderBy('created_at').execute();

    siteStatus = 500;
    await me.ok('run_check', { id: monitor.id });
    await deliver();
    expect(await rows()).toEqual([]); // one down is below forChecks
    await me.ok('run_check', { id: monitor.id });
    await deliver();
    expect(hooks.map((h) => h.event)).toEqual(['alert.firing']);
    expect(hooks[0]!.alert.message).toMatch(/^shop is down: HTTP 500/);
    expect(outbox().filter((m) => m.includes('Subject: [monitors] Firing: shop'))).toHaveLength(1);

    // Still down: no second firing, however often it is checked or delivered.
    for (let i = 0; i < 3; i++) {
      await me.ok('run_check', { id: monitor.id });
      await deliver();
    }
    expect(hooks.map((h) => h.event)).toEqual(['alert.firing']);

    // A process restarting while the alert fires sends nothing new.
    await app.close();
    app = makeApp(t.env);
    const again = await app.services();
    const restarted = new Scheduler({
      db: again.database.db,
      secrets: again.secrets,
      logger: createLogger('silent'),
      allowPrivateTargets: true,
      concurrency: 4,
      pollMs: 1000,
      retentionDays: 30,
      mailer: app.mailer,
      now: () => Date.now() + skew,
    });
    await restarted.poll();
    await new Promise((r) => setTimeout(r, 300));
    expect(hooks).toHaveLength(1);

    // After repeatMinutes a repeat goes out; a failing webhook is retried later.
    skew += 6 * 60_000;
    hookStatus = 500;
    await restarted.poll();
    await new Promise((r) => setTimeout(r, 300));
    const failing = (
      await again.database.db.selectFrom('notifications').selectAll().where('event', '=', 'repeat').execute()
    ).find((n) => n.channel_json.includes('webhook'));
    expect(failing).toMatchObject({ status: 'pending', attempts: 1 });
    expect(failing!.last_error).toBe('the webhook answered HTTP 500');
    hookStatus = 200;
    await restarted.poll(); // not due yet: backoff
    await new Promise((r) => setTimeout(r, 300));
    expect(hooks).toHaveLength(1);
    skew += 31_000;
    await restarted.poll();
    await new Promise((r) => setTimeout(r, 300));
    expect(hooks.map((h) => h.event)).toEqual(['alert.firing', 'alert.repeat']);

    // Acknowledged: no more repeats.
    const me2 = callerFor(app, me.userId); // the saved sign-in serves the restarted app too
    const open = (await me2.ok<{ alerts: { id: string }[] }>('list_alerts', { state: 'open' })).alerts;
    await me2.ok('acknowledge_alert', { id: open[0]!.id });
    skew += 60 * 60_000;
    await restarted.poll();
    await new Promise((r) => setTimeout(r, 300));
    expect(hooks.map((h) => h.event)).toEqual(['alert.firing', 'alert.repeat']);

    // Recovery: one resolved notification on each channel.
    siteStatus = 200;
    await me2.ok('run_check', { id: monitor.id });
    await restarted.poll();
    await new Promise((r) => setTimeout(r, 300));
    expect(hooks.map((h) => h.event)).toEqual(['alert.firing', 'alert.repeat', 'alert.resolved']);
    expect(hooks[2]!.alert.state).toBe('resolved');
    const mails = readdirSync(join(t.home, 'outbox')).map((f) => readFileSync(join(t.home, 'outbox', f), 'utf8'));
    expect(mails.filter((m) => m.includes('Subject: [monitors] Resolved: shop'))).toHaveLength(1);
    expect(mails.filter((m) => m.includes('Subject: [monitors] Firing: shop'))).toHaveLength(1);
    await restarted.stop(0);
    await scheduler.stop(0);
  });
});
