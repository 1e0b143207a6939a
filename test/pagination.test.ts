// Paging through every list tool with the real tool code (runTool), on both
// backends, while rows are inserted and deleted between pages: every row that
// existed throughout is seen exactly once, none twice, nextCursor is absent at
// the end, a cursor the server did not give out is refused with a sentence,
// and no answer passes 50 KB however large the rows are.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { newId } from '../src/infra/ids.js';
import type { AlertsTable, MonitorsTable } from '../src/store/schema.js';
import { backends, makeApp, makeEnv, type TestEnv } from './helpers/env.js';
import { signInApp, type ToolCaller } from './helpers/tool-session.js';

const BAD_CURSOR = 'That cursor is not one this server gave out: call again without a cursor to start from the beginning.';
const MAX_ANSWER = 50 * 1024;

function monitorRow(userId: string, name: string, createdAt: number, target = `https://example.com/${name}`): MonitorsTable {
  return {
    id: newId(),
    user_id: userId,
    name,
    type: 'http',
    target,
    settings: '{}',
    interval_seconds: 300,
    timeout_ms: 10_000,
    enabled: 1,
    status: 'unknown',
    last_checked_at: null,
    last_latency_ms: null,
    last_value: null,
    last_error: null,
    next_run_at: null,
    lease_owner: null,
    lease_expires_at: null,
    created_at: createdAt,
    updated_at: createdAt,
  };
}

function alertRow(userId: string, openedAt: number): AlertsTable {
  const id = newId();
  return {
    id,
    user_id: userId,
    rule_id: 'rule-x',
    monitor_id: 'monitor-x',
    open_key: `open:${id}`,
    state: 'firing',
    severity: 'warning',
    message: 'down',
    opened_at: openedAt,
    acknowledged_at: null,
    resolved_at: null,
    last_notified_at: null,
    updated_at: openedAt,
  };
}

/** Picks n items of `from` (deterministic spread) that pass `ok`. */
function pick<T>(from: T[], n: number, ok: (x: T) => boolean, seed: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < from.length && out.length < n; i++) {
    const x = from[(seed * 7919 + i * 104_729) % from.length]!;
    if (ok(x) && !out.includes(x)) out.push(x);
  }
  return out;
}

interface PageResult {
  ids: string[];
  nextCursor?: string;
  bytes: number;
  items: Record<string, unknown>[];
}

async function page(
  c: ToolCaller,
  tool: string,
  key: string,
  idOf: (x: Record<string, unknown>) => string,
  args: Record<string, unknown>,
): Promise<PageResult> {
  const r = await c.raw(tool, args);
  expect(r.isError, r.content[0]?.text).toBeFalsy();
  const s = r.structuredContent as Record<string, unknown>;
  expect(JSON.parse(r.content[0]!.text)).toEqual(s);
  const items = s[key] as Record<string, unknown>[];
  return {
    ids: items.map(idOf),
    ...(typeof s.nextCursor === 'string' ? { nextCursor: s.nextCursor } : {}),
    bytes: Buffer.byteLength(r.content[0]!.text),
    items,
  };
}

/**
 * Walks every page; `between` runs after each page that has a next cursor and
 * may change the data. Returns every id seen, in order, and the page count.
 */
async function walk(
  c: ToolCaller,
  tool: string,
  key: string,
  idOf: (x: Record<string, unknown>) => string,
  args: Record<string, unknown>,
  between: (seen: Set<string>, pageNo: number) => Promise<void> = async () => undefined,
): Promise<{ seen: string[]; pages: PageResult[] }> {
  const seen: string[] = [];
  const pages: PageResult[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < 10_000; n++) {
    const p = await page(c, tool, key, idOf, { ...args, ...(cursor ? { cursor } : {}) });
    expect(p.bytes).toBeLessThan(MAX_ANSWER);
    pages.push(p);
    seen.push(...p.ids);
    if (!p.nextCursor) return { seen, pages };
    cursor = p.nextCursor;
    await between(new Set(seen), n);
  }
  throw new Error('paging never ended');
}

function expectExactlyOnce(seen: string[], throughout: Iterable<string>): void {
  const counts = new Map<string, number>();
  for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  expect(twice, 'rows seen twice').toEqual([]);
  const missed = [...throughout].filter((id) => !counts.has(id));
  expect(missed, 'rows that existed throughout but were never seen').toEqual([]);
}

const byId = (x: Record<string, unknown>) => x.id as string;
const byName = (x: Record<string, unknown>) => x.name as string;

describe.each(backends)('pagination (%s)', (backend) => {
  let t: TestEnv;
  let app: App;

  beforeAll(async () => {
    t = await makeEnv(backend, {
      PLAN_FREE_MAX_MONITORS: '5000',
      PLAN_FREE_MIN_INTERVAL_SECONDS: '10',
      PLAN_FREE_MAX_SECRETS: '5000',
      PLAN_FREE_MAX_RULES: '5000',
      MONITORS_MCP_WORKER: 'off',
    });
    app = makeApp(t.env);
    await app.services();
  });

  afterAll(async () => {
    await app?.close();
    await t?.cleanup();
  });

  it('1,000 monitors in pages of 37 while monitors are added and deleted: each one that stayed is seen exactly once', async () => {
    const c = await signInApp(app, 'pager@example.com');
    const { database } = await app.services();
    const db = database.db;
    // Created-at values shared by 7 rows at a time, so page boundaries fall inside ties.
    const base = Date.now() - 10_000_000;
    const rows = Array.from({ length: 1000 }, (_, i) => monitorRow(c.userId, `m${i}`, base + Math.floor(i / 7) * 1000));
    for (let i = 0; i < rows.length; i += 250)
      await db
        .insertInto('monitors')
        .values(rows.slice(i, i + 250))
        .execute();
    // Someone else's monitors, interleaved in time, never show up.
    const others = Array.from({ length: 30 }, (_, i) => monitorRow('someone-else', `o${i}`, base + i * 3000));
    await db.insertInto('monitors').values(others).execute();

    const original = rows.map((r) => r.id);
    const deleted = new Set<string>();
    const added = new Set<string>();
    let made = 0;
    const { seen, pages } = await walk(c, 'list_monitors', 'monitors', byId, { limit: 37 }, async (sofar, n) => {
      // Two new monitors through the tool (newest: after every cursor), one back-dated row.
      for (let k = 0; k < 2; k++) {
        const { monitor } = await c.ok<{ monitor: { id: string } }>('create_monitor', {
          name: `new${made++}`,
          type: 'http',
          target: 'https://example.com/new',
          intervalSeconds: 60,
        });
        added.add(monitor.id);
      }
      const old = monitorRow(c.userId, `old${n}`, base - 1000 + n);
      await db.insertInto('monitors').values(old).execute();
      added.add(old.id);
      // Delete two not yet seen and one already seen.
      const unseen = pick(original, 2, (id) => !sofar.has(id) && !deleted.has(id), n);
      const seenOnes = pick(original, 1, (id) => sofar.has(id) && !deleted.has(id), n + 1);
      for (const id of [...unseen, ...seenOnes]) {
        expect(await c.ok('delete_monitor', { id })).toEqual({ deleted: true, id });
        deleted.add(id);
      }
    });

    expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(1000 / 37) - 2);
    for (const p of pages) expect(p.ids.length).toBeLessThanOrEqual(37);
    expect(pages.slice(0, -1).every((p) => p.ids.length === 37)).toBe(true);
    expect(pages.at(-1)!.nextCursor).toBeUndefined();
    expect(deleted.size).toBeGreaterThan(50);
    const throughout = original.filter((id) => !deleted.has(id));
    expectExactlyOnce(seen, throughout);
    // Nothing that was deleted before the walk reached it, and nothing of anyone else's.
    const allowed = new Set([...original, ...added]);
    expect(seen.filter((id) => !allowed.has(id))).toEqual([]);
    const deletedUnseen = [...deleted].filter((id) => !seen.includes(id));
    expect(deletedUnseen.length).toBeGreaterThan(0);
    // Oldest first: created_at never goes backwards across the walk for the original rows.
    const order = new Map(rows.map((r, i) => [r.id, i]));
    const positions = seen.filter((id) => order.has(id)).map((id) => Math.floor(order.get(id)! / 7));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));

    // A full walk now sees exactly what is there.
    const again = await walk(c, 'list_monitors', 'monitors', byId, { limit: 200 });
    const { n } = await db
      .selectFrom('monitors')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', c.userId)
      .executeTakeFirstOrThrow();
    expect(again.seen).toHaveLength(Number(n));
    expect(new Set(again.seen).size).toBe(Number(n));
  });

  it('a cursor the server did not give out is refused with one sentence', async () => {
    const c = await signInApp(app, 'tamper@example.com');
    const { database } = await app.services();
    const rows = Array.from({ length: 12 }, (_, i) => monitorRow(c.userId, `t${i}`, Date.now() + i));
    await database.db.insertInto('monitors').values(rows).execute();
    const first = await page(c, 'list_monitors', 'monitors', byId, { limit: 5 });
    const cursor = first.nextCursor!;
    expect(cursor).toBeTruthy();
    const tampered = [
      cursor.slice(0, Math.floor(cursor.length / 2)),
      `${cursor}x`.replace(/^./, '!'),
      'not-a-cursor',
      '!!!!',
      '',
      Buffer.from('{"at":1,"id":"x"}').toString('base64url'),
      Buffer.from('["x","y"]').toString('base64url'),
      Buffer.from(JSON.stringify([1e300, 'x'])).toString('base64url'),
      Buffer.from(JSON.stringify([1, 'x'.repeat(65)])).toString('base64url'),
    ];
    for (const bad of tampered) {
      for (const tool of ['list_monitors', 'list_secrets', 'list_alert_rules', 'list_alerts']) {
        expect(await c.err(tool, { limit: 5, cursor: bad }), `${tool} with ${bad}`).toBe(BAD_CURSOR);
      }
    }
    expect(await c.err('list_monitors', { cursor: 'x'.repeat(501) })).toBe(
      'Invalid input for list_monitors: "cursor" is not a cursor this server gave out.',
    );
    expect(await c.err('list_monitors', { cursor: 42 })).toBe(
      'Invalid input for list_monitors: "cursor" must be a string, not a number.',
    );
    // The real cursor still works after all that.
    const second = await page(c, 'list_monitors', 'monitors', byId, { limit: 5, cursor });
    expect(second.ids).toEqual(rows.slice(5, 10).map((r) => r.id));
  });

  it('200 monitors with 2 KB targets: a page stays under 50 KB and its nextCursor continues where it stopped', async () => {
    const c = await signInApp(app, 'big@example.com');
    const { database } = await app.services();
    const base = Date.now();
    const rows = Array.from({ length: 200 }, (_, i) =>
      monitorRow(c.userId, `big${i}`, base + i, `https://example.com/${String(i).padStart(4, '0')}/${'a'.repeat(2048 - 30)}`),
    );
    for (const r of rows) expect(r.target.length).toBeGreaterThan(2000);
    await database.db.insertInto('monitors').values(rows).execute();

    const first = await page(c, 'list_monitors', 'monitors', byId, { limit: 200 });
    expect(first.bytes).toBeLessThan(MAX_ANSWER);
    expect(first.ids.length).toBeGreaterThan(5);
    expect(first.ids.length).toBeLessThan(200);
    expect(first.nextCursor).toBeTruthy();
    expect(first.ids).toEqual(rows.slice(0, first.ids.length).map((r) => r.id));

    const all = await walk(c, 'list_monitors', 'monitors', byId, { limit: 200 });
    expect(all.seen).toEqual(rows.map((r) => r.id));
    expect(all.pages.length).toBeGreaterThan(4);
    for (const p of all.pages) expect(p.bytes).toBeLessThan(MAX_ANSWER);
    expect(all.pages.at(-1)!.nextCursor).toBeUndefined();
  });

  it('list_secrets pages through secrets added, replaced and deleted between pages, each seen once', async () => {
    const c = await signInApp(app, 'secrets-pager@example.com');
    const names: string[] = [];
    for (let i = 0; i < 70; i++) {
      const name = `S_${String(i).padStart(3, '0')}`;
      await c.ok('set_secret', { name, value: `value-${i}` });
      names.push(name);
    }
    const deleted = new Set<string>();
    let made = 0;
    const { seen, pages } = await walk(c, 'list_secrets', 'secrets', byName, { limit: 7 }, async (sofar, n) => {
      await c.ok('set_secret', { name: `NEW_${made++}`, value: 'fresh' });
      // Replacing a value (seen or not) must not move the secret in the order.
      const [again] = pick(names, 1, (x) => !deleted.has(x), n + 3);
      await c.ok('set_secret', { name: again, value: `replaced-${n}` });
      for (const name of [
        ...pick(names, 1, (x) => !sofar.has(x) && !deleted.has(x), n),
        ...pick(names, 1, (x) => sofar.has(x) && !deleted.has(x), n + 1),
      ]) {
        expect(await c.ok('delete_secret', { name })).toEqual({ deleted: true, name });
        deleted.add(name);
      }
    });
    expect(pages.at(-1)!.nextCursor).toBeUndefined();
    expect(pages.length).toBeGreaterThan(5);
    expect(deleted.size).toBeGreaterThan(6);
    expectExactlyOnce(
      seen,
      names.filter((x) => !deleted.has(x)),
    );
    for (const p of pages) for (const s of p.items) expect(Object.keys(s).sort()).toEqual(['createdAt', 'name', 'updatedAt']);
  });

  it('list_alert_rules pages through rules added and deleted between pages, also filtered by monitor', async () => {
    const c = await signInApp(app, 'rules-pager@example.com');
    const { monitor } = await c.ok<{ monitor: { id: string } }>('create_monitor', {
      name: 'watched',
      type: 'http',
      target: 'https://example.com/',
    });
    const ids: string[] = [];
    const forMonitor: string[] = [];
    for (let i = 0; i < 60; i++) {
      const onMonitor = i % 3 === 0;
      const { rule } = await c.ok<{ rule: { id: string } }>('create_alert_rule', {
        name: `rule ${i}`,
        condition: { type: 'down' },
        ...(onMonitor ? { monitorId: monitor.id } : {}),
      });
      ids.push(rule.id);
      if (onMonitor) forMonitor.push(rule.id);
    }
    const deleted = new Set<string>();
    const { seen, pages } = await walk(c, 'list_alert_rules', 'rules', byId, { limit: 7 }, async (sofar, n) => {
      await c.ok('create_alert_rule', { condition: { type: 'latencyAbove', ms: 1000 + n } });
      for (const id of [
        ...pick(ids, 1, (x) => !sofar.has(x) && !deleted.has(x), n),
        ...pick(ids, 1, (x) => sofar.has(x) && !deleted.has(x), n + 1),
      ]) {
        expect(await c.ok('delete_alert_rule', { id })).toEqual({ deleted: true, id });
        deleted.add(id);
      }
    });
    expect(pages.at(-1)!.nextCursor).toBeUndefined();
    expect(pages.length).toBeGreaterThan(5);
    expectExactlyOnce(
      seen,
      ids.filter((x) => !deleted.has(x)),
    );

    const filtered = await walk(c, 'list_alert_rules', 'rules', byId, { limit: 3, monitorId: monitor.id });
    expect(filtered.seen).toEqual(forMonitor.filter((x) => !deleted.has(x)));
    for (const p of filtered.pages) for (const r of p.items) expect(r.monitorId).toBe(monitor.id);
    expect(filtered.pages.at(-1)!.nextCursor).toBeUndefined();
  });

  it('list_alerts pages newest first through alerts opened, resolved and deleted between pages', async () => {
    const c = await signInApp(app, 'alerts-pager@example.com');
    const { database } = await app.services();
    const db = database.db;
    const base = Date.now() - 1_000_000;
    // Opened-at shared by 4 alerts at a time.
    const rows = Array.from({ length: 90 }, (_, i) => alertRow(c.userId, base + Math.floor(i / 4) * 1000));
    await db.insertInto('alerts').values(rows).execute();
    await db
      .insertInto('alerts')
      .values(Array.from({ length: 10 }, (_, i) => alertRow('someone-else', base + i * 500)))
      .execute();
    const ids = rows.map((r) => r.id);
    const deleted = new Set<string>();
    const added = new Set<string>();
    const { seen, pages } = await walk(c, 'list_alerts', 'alerts', byId, { limit: 7 }, async (sofar, n) => {
      const fresh = alertRow(c.userId, Date.now());
      const ancient = alertRow(c.userId, base - 10_000 - n);
      await db.insertInto('alerts').values([fresh, ancient]).execute();
      added.add(fresh.id).add(ancient.id);
      // Resolving changes the state, not the place in the order.
      const [toResolve] = pick(ids, 1, (x) => !deleted.has(x), n + 5);
      await c.ok('resolve_alert', { id: toResolve });
      const gone = [
        ...pick(ids, 1, (x) => !sofar.has(x) && !deleted.has(x), n),
        ...pick(ids, 1, (x) => sofar.has(x) && !deleted.has(x), n + 1),
      ];
      await db.deleteFrom('alerts').where('id', 'in', gone).execute();
      for (const id of gone) deleted.add(id);
    });
    expect(pages.at(-1)!.nextCursor).toBeUndefined();
    expect(pages.length).toBeGreaterThan(8);
    expectExactlyOnce(
      seen,
      ids.filter((x) => !deleted.has(x)),
    );
    const allowed = new Set([...ids, ...added]);
    expect(seen.filter((id) => !allowed.has(id))).toEqual([]);
    // Newest first.
    const opened = pages.flatMap((p) => p.items.map((a) => Date.parse(a.openedAt as string)));
    expect(opened).toEqual([...opened].sort((a, b) => b - a));

    // The "open" filter pages too, and leaves out what was resolved.
    const open = await walk(c, 'list_alerts', 'alerts', byId, { limit: 9, state: 'open' });
    const { n } = await db
      .selectFrom('alerts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', c.userId)
      .where('state', '!=', 'resolved')
      .executeTakeFirstOrThrow();
    expect(open.seen).toHaveLength(Number(n));
    expect(new Set(open.seen).size).toBe(Number(n));
    for (const p of open.pages) for (const a of p.items) expect(a.state).toBe('firing');
  });
});
