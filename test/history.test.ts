// get_monitor_history on both backends: the summary covers the whole window
// (uptime, p50 and p95 of successful checks), pages are newest first and
// visit every result once, since narrows the window, and another person's
// monitor reads as not found.
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { backends, makeApp, makeEnv, type TestEnv } from './helpers/env.js';
import { signInApp } from './helpers/tool-session.js';

describe.each(backends)('get_monitor_history (%s)', (backend) => {
  let t: TestEnv;
  let app: App;
  afterEach(async () => {
    await app?.close();
    await t?.cleanup();
  });

  it('summarises the window and pages through it', async () => {
    t = await makeEnv(backend);
    app = makeApp(t.env);
    const me = await signInApp(app, 'history@example.com');
    const { monitor } = await me.ok<{ monitor: { id: string } }>('create_monitor', {
      name: 'h',
      type: 'tcp',
      target: 'db.example.com:5432',
    });
    const { database } = await app.services();
    const now = Date.now();
    // 100 results over the last 100 minutes: latencies 1..100 ms; every 10th is down (latency 5000).
    const rows = Array.from({ length: 100 }, (_, i) => ({
      id: `r${String(i).padStart(3, '0')}xxxxxxxxxxxxxxxxx`,
      user_id: me.userId,
      monitor_id: monitor.id,
      checked_at: now - (100 - i) * 60_000,
      status: i % 10 === 9 ? 'down' : 'up',
      latency_ms: i % 10 === 9 ? 5000 : i + 1,
      status_code: null,
      value: null,
      error: i % 10 === 9 ? 'refused' : null,
    }));
    // And one from two days ago, outside the default window.
    rows.push({ ...rows[0]!, id: 'old0xxxxxxxxxxxxxxxxxx', checked_at: now - 2 * 86_400_000 });
    await database.db.insertInto('monitor_results').values(rows).execute();

    type H = {
      results: { checkedAt: string; status: string; latencyMs: number }[];
      summary: Record<string, unknown>;
      nextCursor?: string;
    };
    const first = await me.ok<H>('get_monitor_history', { id: monitor.id, limit: 30 });
    expect(first.summary).toMatchObject({ checks: 100, uptimePercent: 90 });
    // Successful latencies are 1..100 without the multiples of 10: 90 values; p50 is the 45th, p95 the 86th.
    const ups = rows
      .slice(0, 100)
      .filter((r) => r.status === 'up')
      .map((r) => r.latency_ms)
      .sort((a, b) => a - b);
    expect(first.summary.p50LatencyMs).toBe(ups[44]);
    expect(first.summary.p95LatencyMs).toBe(ups[85]);
    expect(first.results[0]!.checkedAt).toBe(new Date(rows[99]!.checked_at).toISOString());

    const seen = [...first.results];
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await me.ok<H>('get_monitor_history', { id: monitor.id, limit: 30, cursor });
      seen.push(...page.results);
      cursor = page.nextCursor;
    }
    expect(seen).toHaveLength(100);
    expect(new Set(seen.map((r) => r.checkedAt)).size).toBe(100);

    const wide = await me.ok<H>('get_monitor_history', {
      id: monitor.id,
      since: new Date(now - 3 * 86_400_000).toISOString(),
      limit: 1,
    });
    expect(wide.summary.checks).toBe(101);
    const narrow = await me.ok<H>('get_monitor_history', { id: monitor.id, since: new Date(now - 10.5 * 60_000).toISOString() });
    expect(narrow.summary.checks).toBe(10);
    expect(narrow.summary.uptimePercent).toBe(90);

    expect(await me.err('get_monitor_history', { id: monitor.id, since: 'yesterday-ish' })).toBe(
      'since must be a date and time such as "2026-12-01T00:00:00Z".',
    );
    expect(await me.err('get_monitor_history', { id: monitor.id, since: new Date(now + 86_400_000).toISOString() })).toBe(
      'since is in the future: give a time in the past.',
    );

    const other = await signInApp(app, 'other@example.com');
    const notFound = 'No monitor with that id: call list_monitors to see your monitors and their ids.';
    expect(await other.err('get_monitor_history', { id: monitor.id })).toBe(notFound);
    expect(await other.err('get_monitor_history', { id: 'AAAAAAAAAAAAAAAAAAAAAA' })).toBe(notFound);
  });
});
