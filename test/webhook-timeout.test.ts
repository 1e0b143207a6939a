// A webhook that never answers: the checks go on meanwhile (sending runs
// beside them), and after the 10 s timeout the notification is queued again.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { createLogger } from '../src/infra/logger.js';
import { Scheduler } from '../src/monitors/scheduler.js';
import { makeApp, makeEnv, type TestEnv } from './helpers/env.js';
import { signInApp } from './helpers/tool-session.js';

let site: http.Server;
let base = '';
let siteHits = 0;
const stalled: http.ServerResponse[] = [];
beforeAll(async () => {
  site = http.createServer((req, res) => {
    if (req.url === '/hook') {
      stalled.push(res); // never answered
      return;
    }
    siteHits++;
    res.writeHead(req.url === '/down' ? 500 : 200);
    res.end('x');
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const r of stalled) r.destroy();
  await new Promise<void>((r) => site.close(() => r()));
});

let t: TestEnv;
let app: App;
afterEach(async () => {
  await app?.close();
  await t?.cleanup();
});

it('a webhook that times out delays no check and is retried', async () => {
  t = await makeEnv('sqlite', { ALLOW_PRIVATE_TARGETS: 'true', PLAN_FREE_MIN_INTERVAL_SECONDS: '10' });
  app = makeApp(t.env);
  const me = await signInApp(app, 'slowhook@example.com');
  const { monitor } = await me.ok<{ monitor: { id: string } }>('create_monitor', {
    name: 'down',
    type: 'http',
    target: `${base}/down`,
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
  await me.ok('run_check', { id: monitor.id }); // fires: one webhook notification queued
  // A second monitor the scheduler checks every 10 s while the webhook hangs.
  const { monitor: busy } = await me.ok<{ monitor: { id: string } }>('create_monitor', {
    name: 'busy',
    type: 'http',
    target: `${base}/ok`,
    intervalSeconds: 10,
  });
  const scheduler = new Scheduler({
    db: database.db,
    secrets,
    logger: createLogger('silent'),
    allowPrivateTargets: true,
    concurrency: 4,
    pollMs: 200,
    retentionDays: 30,
    mailer: app.mailer,
  });
  const started = Date.now();
  scheduler.start();
  try {
    // The check of `busy` is done long before the webhook gives up.
    for (let i = 0; i < 40 && siteHits < 2; i++) await new Promise((r) => setTimeout(r, 100));
    const checkedAfter = Date.now() - started;
    expect(checkedAfter).toBeLessThan(3000);
    const busyRow = await database.db
      .selectFrom('monitors')
      .select(['status', 'last_checked_at'])
      .where('id', '=', busy.id)
      .executeTakeFirstOrThrow();
    expect(busyRow.status).toBe('up');
    expect(stalled.length).toBe(1); // the webhook is being waited on meanwhile

    let row: { status: string; attempts: number; last_error: string | null; next_attempt_at: number } | undefined;
    for (let i = 0; i < 60; i++) {
      row = await database.db
        .selectFrom('notifications')
        .select(['status', 'attempts', 'last_error', 'next_attempt_at'])
        .executeTakeFirst();
      if (row?.attempts === 1) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_error: 'the webhook did not answer within 10 s' });
    expect(Number(row!.next_attempt_at)).toBeGreaterThan(Date.now() + 20_000); // retried later, after a backoff
  } finally {
    await scheduler.stop(0);
  }
}, 30_000);
