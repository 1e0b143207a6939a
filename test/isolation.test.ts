// One person can never read, change or detect another's rows, on both
// backends: in-process through the services (as the tools call them) and over
// stdio with two servers, two homes and one shared database. Every refusal for
// "someone else's" reads byte for byte like the refusal for "no such id", lists
// never show the other's rows, and the owner's rows are unchanged afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { DomainError } from '../src/errors.js';
import { newId } from '../src/infra/ids.js';
import type { Owner } from '../src/monitors/service.js';
import { alertsStore } from '../src/store/alerts.js';
import type { Tables } from '../src/store/schema.js';
import { backends, makeApp, makeEnv, type TestEnv } from './helpers/env.js';
import { codeFromWhere } from './helpers/login.js';
import { type DbLocation, openRowReader, type RowReader } from './helpers/owned-rows.js';
import { type StdioServer, startServer } from './helpers/stdio.js';

const ID = /^[A-Za-z0-9_-]{22}$/;

/** The text of a resource content block. */
const textOf = (c: object | undefined): string => String((c as { text?: unknown } | undefined)?.text);

/** The refusal a call ends in, as "kind: message"; fails if the call succeeds. */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return `${err.kind}: ${err.message}`;
    throw err;
  }
  throw new Error('expected a refusal, but the call succeeded');
}

async function signIn(app: App, email: string, tier?: string): Promise<Owner> {
  const { login } = await app.services();
  const r = await login.requestCode(email);
  const { session } = await login.verifyCode(email, codeFromWhere(r.where), 'test');
  return { userId: session.userId, tier: tier ?? session.tier };
}

/** An alert row as the engine will open it (the same store function). */
async function openAlert(db: Kysely<Tables>, owner: Owner, ruleId: string, monitorId: string, message: string) {
  const now = Date.now();
  const row = await alertsStore(db).open({
    id: newId(),
    user_id: owner.userId,
    rule_id: ruleId,
    monitor_id: monitorId,
    severity: 'critical',
    message,
    opened_at: now,
    last_notified_at: null,
    updated_at: now,
  });
  if (!row) throw new Error('an alert was already open for that rule and monitor');
  return row;
}

async function addResult(db: Kysely<Tables>, owner: Owner, monitorId: string, minutesAgo: number) {
  await db
    .insertInto('monitor_results')
    .values({
      id: newId(),
      user_id: owner.userId,
      monitor_id: monitorId,
      checked_at: Date.now() - minutesAgo * 60_000,
      status: 'down',
      latency_ms: 120,
      status_code: 503,
      value: null,
      error: 'HTTP 503',
    })
    .execute();
}

/** A's data: a secret, an http monitor using it, a paused tcp monitor, two rules, two alerts, results. */
async function seedAlice(app: App, A: Owner) {
  const s = await app.services();
  const db = s.database.db;
  await s.secrets.set(A, 'API_TOKEN', 'sk-alice-very-private');
  const http = await s.monitors.create(A, {
    name: 'Alice API',
    type: 'http',
    target: 'https://api.alice.example/health',
    headers: { Authorization: 'Bearer {{secrets.API_TOKEN}}' },
  });
  const tcp = await s.monitors.create(A, { name: 'Alice DB', type: 'tcp', target: 'db.alice.example:5432', enabled: false });
  const rule = await s.rules.create(A, { monitorId: http.id, condition: { type: 'down' } });
  const allRule = await s.rules.create(A, { condition: { type: 'latencyAbove', ms: 2000 } });
  const alert = await openAlert(db, A, rule.id, http.id, 'Alice API is down');
  const acked = await openAlert(db, A, allRule.id, tcp.id, 'Alice DB is slow');
  await s.alerts.acknowledge(A, acked.id);
  for (let i = 0; i < 3; i++) await addResult(db, A, http.id, i + 1);
  return { http, tcp, rule, allRule, alert, acked };
}

describe.each(backends)('isolation between people (%s)', (backend) => {
  let t: TestEnv | undefined;
  let apps: App[] = [];
  let servers: StdioServer[] = [];
  let readers: RowReader[] = [];
  let dirs: string[] = [];

  afterEach(async () => {
    await Promise.allSettled(servers.map((s) => s.close()));
    await Promise.allSettled(readers.map((r) => r.close()));
    await Promise.allSettled(apps.map((a) => a.close()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    servers = [];
    readers = [];
    apps = [];
    dirs = [];
    await t?.cleanup();
    t = undefined;
  });

  function where(env: Record<string, string>, home: string): DbLocation {
    if (backend === 'mysql') return { backend, mysqlUrl: env.DATABASE_URL! };
    const url = env.DATABASE_URL;
    return { backend, sqlitePath: url ? url.replace(/^sqlite:\/\//, '') : join(home, 'monitors.db') };
  }

  it('in-process: B can neither touch nor detect any of A’s rows, and A’s rows stay as they were', async () => {
    t = await makeEnv(backend);
    const app = makeApp(t.env);
    apps.push(app);
    const s = await app.services();
    const A = await signIn(app, 'alice@example.com');
    const B = await signIn(app, 'bob@example.com');
    expect(A.userId).not.toBe(B.userId);
    const a = await seedAlice(app, A);
    const bOwn = await s.monitors.create(B, { name: 'Bob site', type: 'http', target: 'https://bob.example/' });
    const bRule = await s.rules.create(B, { monitorId: bOwn.id, condition: { type: 'down' } });

    const reader = await openRowReader(where(t.env, t.home));
    readers.push(reader);
    const before = await reader.ownedBy(A.userId);
    // The snapshot holds what was seeded, so "unchanged" below is not about empty tables.
    expect(before.monitors).toHaveLength(2);
    expect(before.secrets).toHaveLength(1);
    expect(before.alert_rules).toHaveLength(2);
    expect(before.alerts).toHaveLength(2);
    expect(before.monitor_results).toHaveLength(3);

    // A sees all of it (so B's empty answers below are about B, not about nothing being there).
    expect((await s.monitors.get(A, a.http.id)).name).toBe('Alice API');
    expect((await s.alerts.list(A, { state: 'open', limit: 50 })).items.map((x) => x.id).sort()).toEqual(
      [a.alert.id, a.acked.id].sort(),
    );

    const missing = newId();
    const same = async (mine: () => Promise<unknown>, none: () => Promise<unknown>, kind = 'not_found') => {
      const [m, n] = [await refusal(mine()), await refusal(none())];
      expect(m).toBe(n);
      expect(m.startsWith(`${kind}: `)).toBe(true);
      return m;
    };

    // Monitors: get, get with recent results (the resource), update, pause, resume, delete.
    await same(
      () => s.monitors.get(B, a.http.id),
      () => s.monitors.get(B, missing),
    );
    await same(
      () => s.monitors.get(B, a.http.id, 20),
      () => s.monitors.get(B, missing, 20),
    );
    await same(
      () => s.monitors.update(B, a.http.id, { name: 'Hijacked' }),
      () => s.monitors.update(B, missing, { name: 'Hijacked' }),
    );
    await same(
      () => s.monitors.update(B, a.http.id, { intervalSeconds: 10, target: 'not a url' }),
      () => s.monitors.update(B, missing, { intervalSeconds: 10, target: 'not a url' }),
    );
    await same(
      () => s.monitors.setEnabled(B, a.http.id, false),
      () => s.monitors.setEnabled(B, missing, false),
    );
    await same(
      () => s.monitors.setEnabled(B, a.tcp.id, true),
      () => s.monitors.setEnabled(B, missing, true),
    );
    await same(
      () => s.monitors.remove(B, a.http.id),
      () => s.monitors.remove(B, missing),
    );

    // Rules: change, delete, point one of B's at A's monitor, create one on A's monitor.
    await same(
      () => s.rules.update(B, a.rule.id, { enabled: false }),
      () => s.rules.update(B, missing, { enabled: false }),
    );
    await same(
      () => s.rules.remove(B, a.allRule.id),
      () => s.rules.remove(B, missing),
    );
    await same(
      () => s.rules.create(B, { monitorId: a.http.id, condition: { type: 'down' } }),
      () => s.rules.create(B, { monitorId: missing, condition: { type: 'down' } }),
    );
    await same(
      () => s.rules.update(B, bRule.id, { monitorId: a.http.id }),
      () => s.rules.update(B, bRule.id, { monitorId: missing }),
    );

    // Alerts: acknowledge and resolve, firing and acknowledged ones.
    for (const id of [a.alert.id, a.acked.id]) {
      await same(
        () => s.alerts.acknowledge(B, id),
        () => s.alerts.acknowledge(B, missing),
      );
      await same(
        () => s.alerts.resolve(B, id),
        () => s.alerts.resolve(B, missing),
      );
    }

    // Secrets: B cannot delete, read or refer to A's secret; each answer reads as for a name nobody has.
    const byName = (msg: string, name: string) => msg.replaceAll(name, '<NAME>');
    const delMine = await refusal(s.secrets.remove(B, 'API_TOKEN'));
    const delNone = await refusal(s.secrets.remove(B, 'NOBODY_HAS_THIS'));
    expect(byName(delMine, 'API_TOKEN')).toBe(byName(delNone, 'NOBODY_HAS_THIS'));
    expect(delMine).toMatch(/^not_found: /);
    expect(await s.secrets.reveal(B, 'API_TOKEN')).toBeUndefined();
    const refer = (name: string) => ({
      name: 'Bob uses a token',
      type: 'http' as const,
      target: 'https://bob.example/api',
      headers: { Authorization: `Bearer {{secrets.${name}}}` },
    });
    const useMine = await refusal(s.monitors.create(B, refer('API_TOKEN')));
    const useNone = await refusal(s.monitors.create(B, refer('NOBODY_HAS_THIS')));
    expect(useMine).toMatch(/^invalid_input: .*no secret named API_TOKEN/);
    expect(byName(useMine, 'API_TOKEN')).toBe(byName(useNone, 'NOBODY_HAS_THIS'));
    const inUrlMine = await refusal(s.monitors.update(B, bOwn.id, { target: 'https://bob.example/?k={{secrets.API_TOKEN}}' }));
    const inUrlNone = await refusal(
      s.monitors.update(B, bOwn.id, { target: 'https://bob.example/?k={{secrets.NOBODY_HAS_THIS}}' }),
    );
    expect(inUrlMine).toMatch(/no secret named API_TOKEN/);
    expect(byName(inUrlMine, 'API_TOKEN')).toBe(byName(inUrlNone, 'NOBODY_HAS_THIS'));

    // Lists of B: only B's rows, whatever the filter.
    const aIds = new Set([a.http.id, a.tcp.id, a.rule.id, a.allRule.id, a.alert.id, a.acked.id]);
    const bMonitors = await s.monitors.list(B, { limit: 200 });
    expect(bMonitors.items.map((m) => m.id)).toEqual([bOwn.id]);
    expect((await s.monitors.list(B, { limit: 200, query: 'alice' })).items).toEqual([]);
    expect((await s.monitors.list(B, { limit: 200, status: 'paused' })).items).toEqual([]);
    expect((await s.rules.list(B, { limit: 200 })).items.map((r) => r.id)).toEqual([bRule.id]);
    expect((await s.rules.list(B, { limit: 200, monitorId: a.http.id })).items).toEqual([]);
    for (const state of [undefined, 'open', 'firing', 'acknowledged', 'resolved'] as const) {
      expect((await s.alerts.list(B, { state, limit: 200 })).items).toEqual([]);
    }
    expect((await s.alerts.list(B, { monitorId: a.http.id, limit: 200 })).items).toEqual([]);
    expect((await s.secrets.list(B, 200)).items).toEqual([]);

    // A name A uses is free for B: a clash would tell B that A's row exists.
    const bSameName = await s.monitors.create(B, { name: 'Alice API', type: 'tcp', target: 'bob.example:443' });
    const bSecret = await s.secrets.set(B, 'API_TOKEN', 'sk-bob-own');
    expect(bSecret.name).toBe('API_TOKEN');
    await s.monitors.update(B, bOwn.id, { headers: { Authorization: 'Bearer {{secrets.API_TOKEN}}' } });
    expect(await s.secrets.reveal(B, 'API_TOKEN')).toBe('sk-bob-own');
    expect(await s.secrets.reveal(A, 'API_TOKEN')).toBe('sk-alice-very-private');
    // B's own rows never mix with A's, and removing them leaves A's alone.
    await s.monitors.remove(B, bSameName.id);
    await s.monitors.update(B, bOwn.id, { headers: {} });
    await s.secrets.remove(B, 'API_TOKEN');
    await s.rules.remove(B, bRule.id);
    await s.monitors.remove(B, bOwn.id);
    const seen = [
      ...(await s.monitors.list(B, { limit: 200 })).items.map((x) => x.id),
      ...(await s.rules.list(B, { limit: 200 })).items.map((x) => x.id),
    ];
    expect(seen.filter((id) => aIds.has(id))).toEqual([]);

    const after = await reader.ownedBy(A.userId);
    expect(after).toEqual(before);
    expect(await s.secrets.reveal(A, 'API_TOKEN')).toBe('sk-alice-very-private');
  });

  it('ids are opaque: 50 monitors get random 22-character base64url ids, not ordered by creation', async () => {
    t = await makeEnv(backend);
    const app = makeApp(t.env);
    apps.push(app);
    const s = await app.services();
    const P = await signIn(app, 'many@example.com', 'pro'); // the pro plan allows 50 monitors
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const m = await s.monitors.create(P, { name: `m${i}`, type: 'tcp', target: `h${i}.example:80` });
      ids.push(m.id);
    }
    expect(ids.every((id) => ID.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(50);
    // Sorting the ids does not give the creation order; about half of the neighbours ascend, as for random draws.
    expect([...ids].sort()).not.toEqual(ids);
    const ascending = ids.slice(1).filter((id, i) => id > ids[i]!).length;
    expect(ascending).toBeGreaterThan(8);
    expect(ascending).toBeLessThan(41);
    // No shared time-like prefix between ids made one after the other (as ULIDs or UUIDv7 would have).
    const commonPrefix = (x: string, y: string) => {
      let n = 0;
      while (n < x.length && x[n] === y[n]) n++;
      return n;
    };
    expect(Math.max(...ids.slice(1).map((id, i) => commonPrefix(id, ids[i]!)))).toBeLessThan(4);
    // Not numbers counting up either.
    expect(ids.filter((id) => /^\d+$/.test(id))).toEqual([]);

    // Every other kind of row gets the same kind of id.
    const rule = await s.rules.create(P, { monitorId: ids[0]!, condition: { type: 'down' } });
    const alert = await openAlert(s.database.db, P, rule.id, ids[0]!, 'x');
    await s.secrets.set(P, 'TOKEN', 'v');
    const reader = await openRowReader(where(t.env, t.home));
    readers.push(reader);
    const rows = await reader.ownedBy(P.userId);
    const all = [
      P.userId,
      rule.id,
      alert.id,
      ...rows.sessions.map((r) => String(r.id)),
      ...rows.secrets.map((r) => String(r.id)),
      ...rows.monitors.map((r) => String(r.id)),
    ];
    expect(all.filter((id) => !ID.test(id))).toEqual([]);
    // The list holds exactly those 50, each once.
    const listed = await s.monitors.list(P, { limit: 50 });
    expect(listed.more).toBe(false);
    expect(listed.items.map((m) => m.id).sort()).toEqual([...ids].sort());
  });

  it('over stdio: two servers with two homes on one database; B learns nothing of A through any tool or resource', async () => {
    t = await makeEnv(backend, { MONITORS_MCP_WORKER: 'off' });
    const envA = { ...t.env };
    if (backend === 'sqlite') {
      const dbDir = mkdtempSync(join(tmpdir(), 'monitors-shared-'));
      dirs.push(dbDir);
      envA.DATABASE_URL = `sqlite://${join(dbDir, 'shared.db')}`;
    }
    const homeB = mkdtempSync(join(tmpdir(), 'monitors-test-b-'));
    dirs.push(homeB);
    const envB = { ...envA, MONITORS_MCP_HOME: homeB };

    const [sa, sb] = await Promise.all([startServer(envA), startServer(envB)]);
    servers.push(sa, sb);

    type Result = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, unknown> };
    const call = async (s: StdioServer, name: string, args: Record<string, unknown> = {}) =>
      (await s.client.callTool({ name, arguments: args })) as Result;
    const ok = async (s: StdioServer, name: string, args: Record<string, unknown> = {}) => {
      const r = await call(s, name, args);
      if (r.isError) throw new Error(`${name} failed: ${r.content[0]?.text}`);
      return r.structuredContent as Record<string, unknown>;
    };
    const refused = async (s: StdioServer, name: string, args: Record<string, unknown>) => {
      const r = await call(s, name, args);
      expect(r.isError, `${name} ${JSON.stringify(args)} should be refused`).toBe(true);
      expect(r.structuredContent).toBeUndefined();
      expect(r.content).toHaveLength(1);
      return r.content[0]!.text;
    };
    const readRefusal = async (s: StdioServer, uri: string) => {
      try {
        await s.client.readResource({ uri });
      } catch (err) {
        return `${(err as { code?: number }).code}: ${(err as Error).message}`;
      }
      throw new Error(`reading ${uri} succeeded`);
    };
    const signInOver = async (s: StdioServer, email: string): Promise<Owner> => {
      await ok(s, 'request_login_code', { email });
      const v = await ok(s, 'verify_login_code', { email, code: await s.codeFor(email) });
      const user = v.user as { id: string; tier: string };
      return { userId: user.id, tier: user.tier };
    };

    const A = await signInOver(sa, 'alice@example.com');
    const B = await signInOver(sb, 'bob@example.com');
    expect(((await ok(sa, 'whoami')).user as { email: string }).email).toBe('alice@example.com');
    expect(((await ok(sb, 'whoami')).user as { email: string }).email).toBe('bob@example.com');

    // A's data, made through A's server.
    await ok(sa, 'set_secret', { name: 'API_TOKEN', value: 'sk-alice-very-private' });
    const aHttp = (
      await ok(sa, 'create_monitor', {
        name: 'Alice API',
        type: 'http',
        target: 'https://api.alice.example/health',
        headers: { Authorization: 'Bearer {{secrets.API_TOKEN}}' },
      })
    ).monitor as { id: string };
    const aTcp = (
      await ok(sa, 'create_monitor', { name: 'Alice DB', type: 'tcp', target: 'db.alice.example:5432', enabled: false })
    ).monitor as { id: string };
    const aRule = (await ok(sa, 'create_alert_rule', { monitorId: aHttp.id, condition: { type: 'down' } })).rule as {
      id: string;
    };
    // The alert, as the engine will open it, on the same database.
    const writer = makeApp(envA);
    apps.push(writer);
    const db = (await writer.services()).database.db;
    const aAlert = await openAlert(db, A, aRule.id, aHttp.id, 'Alice API is down');
    await addResult(db, A, aHttp.id, 1);
    expect(((await ok(sa, 'list_alerts', { state: 'open' })).alerts as { id: string }[]).map((x) => x.id)).toEqual([aAlert.id]);
    const aRead = await sa.client.readResource({ uri: `monitor://${aHttp.id}` });
    expect(JSON.parse(textOf(aRead.contents[0])).monitor.id).toBe(aHttp.id);

    // B's own data.
    const bMon = (await ok(sb, 'create_monitor', { name: 'Bob site', type: 'http', target: 'https://bob.example/' })).monitor as {
      id: string;
    };
    const bRule = (await ok(sb, 'create_alert_rule', { monitorId: bMon.id, condition: { type: 'down' } })).rule as {
      id: string;
    };

    const reader = await openRowReader(where(envA, t.home));
    readers.push(reader);
    const before = await reader.ownedBy(A.userId);
    expect(before.monitors).toHaveLength(2);
    expect(before.alerts).toHaveLength(1);

    const missing = newId();
    const sameText = async (name: string, mine: Record<string, unknown>, none: Record<string, unknown>) => {
      const m = await refused(sb, name, mine);
      const n = await refused(sb, name, none);
      expect(m, name).toBe(n);
      expect(m).not.toMatch(/Not signed in|Invalid input|went wrong/);
      return m;
    };
    const texts = [
      await sameText('get_monitor', { id: aHttp.id }, { id: missing }),
      await sameText('update_monitor', { id: aHttp.id, name: 'Hijacked' }, { id: missing, name: 'Hijacked' }),
      await sameText('update_monitor', { id: aTcp.id, enabled: true }, { id: missing, enabled: true }),
      await sameText('pause_monitor', { id: aHttp.id }, { id: missing }),
      await sameText('resume_monitor', { id: aTcp.id }, { id: missing }),
      await sameText('delete_monitor', { id: aHttp.id }, { id: missing }),
      await sameText('update_alert_rule', { id: aRule.id, enabled: false }, { id: missing, enabled: false }),
      await sameText('delete_alert_rule', { id: aRule.id }, { id: missing }),
      await sameText(
        'create_alert_rule',
        { monitorId: aHttp.id, condition: { type: 'down' } },
        { monitorId: missing, condition: { type: 'down' } },
      ),
      await sameText('update_alert_rule', { id: bRule.id, monitorId: aHttp.id }, { id: bRule.id, monitorId: missing }),
      await sameText('acknowledge_alert', { id: aAlert.id }, { id: missing }),
      await sameText('resolve_alert', { id: aAlert.id }, { id: missing }),
    ];
    expect(texts.every((x) => /^No (monitor|alert rule|alert) with that id/.test(x))).toBe(true);

    // Resources: reading A's monitor reads exactly like reading one that does not exist.
    const rMine = await readRefusal(sb, `monitor://${aHttp.id}`);
    expect(rMine).toBe(await readRefusal(sb, `monitor://${missing}`));
    expect(rMine).toMatch(/^-32002: /);
    const bResources = (await sb.client.listResources()).resources.map((r) => r.uri);
    expect(bResources.sort()).toEqual(['alerts://open', `monitor://${bMon.id}`].sort());
    const bOpen = await sb.client.readResource({ uri: 'alerts://open' });
    expect(JSON.parse(textOf(bOpen.contents[0]))).toEqual({ alerts: [] });

    // Secrets: refused as missing, as for a name nobody has.
    const byName = (msg: string, name: string) => msg.replaceAll(name, '<NAME>');
    const delMine = await refused(sb, 'delete_secret', { name: 'API_TOKEN' });
    const delNone = await refused(sb, 'delete_secret', { name: 'NOBODY_HAS_THIS' });
    expect(byName(delMine, 'API_TOKEN')).toBe(byName(delNone, 'NOBODY_HAS_THIS'));
    const refer = (name: string) => ({
      name: 'Bob uses a token',
      type: 'http',
      target: 'https://bob.example/api',
      headers: { Authorization: `Bearer {{secrets.${name}}}` },
    });
    const useMine = await refused(sb, 'create_monitor', refer('API_TOKEN'));
    expect(useMine).toMatch(/no secret named API_TOKEN/);
    expect(byName(useMine, 'API_TOKEN')).toBe(
      byName(await refused(sb, 'create_monitor', refer('NOBODY_HAS_THIS')), 'NOBODY_HAS_THIS'),
    );
    const updMine = await refused(sb, 'update_monitor', { id: bMon.id, body: '{{secrets.API_TOKEN}}', method: 'POST' });
    expect(updMine).toMatch(/no secret named API_TOKEN/);

    // B's lists never hold A's rows, whatever the filter.
    const ids = (v: unknown) => (v as { id: string }[]).map((x) => x.id);
    expect(ids((await ok(sb, 'list_monitors', { limit: 200 })).monitors)).toEqual([bMon.id]);
    expect((await ok(sb, 'list_monitors', { query: 'alice' })).monitors).toEqual([]);
    expect((await ok(sb, 'list_monitors', { status: 'paused' })).monitors).toEqual([]);
    expect(ids((await ok(sb, 'list_alert_rules', {})).rules)).toEqual([bRule.id]);
    expect(await ok(sb, 'list_alert_rules', { monitorId: aHttp.id })).toEqual(
      await ok(sb, 'list_alert_rules', { monitorId: missing }),
    );
    expect((await ok(sb, 'list_alert_rules', { monitorId: aHttp.id })).rules).toEqual([]);
    for (const state of ['open', 'firing', 'acknowledged', 'resolved']) {
      expect((await ok(sb, 'list_alerts', { state })).alerts).toEqual([]);
    }
    expect((await ok(sb, 'list_alerts', {})).alerts).toEqual([]);
    expect((await ok(sb, 'list_alerts', { monitorId: aHttp.id })).alerts).toEqual([]);
    expect((await ok(sb, 'list_secrets', {})).secrets).toEqual([]);
    // A's names are free for B (a clash would tell B they exist).
    await ok(sb, 'create_monitor', { name: 'Alice API', type: 'dns', target: 'bob.example' });
    await ok(sb, 'set_secret', { name: 'API_TOKEN', value: 'sk-bob-own' });
    expect(((await ok(sb, 'list_secrets', {})).secrets as { name: string }[]).map((x) => x.name)).toEqual(['API_TOKEN']);

    // Nothing of A's changed, and A still sees all of it.
    expect(await reader.ownedBy(A.userId)).toEqual(before);
    expect(ids((await ok(sa, 'list_monitors', {})).monitors).sort()).toEqual([aHttp.id, aTcp.id].sort());
    expect(((await ok(sa, 'list_secrets', {})).secrets as { name: string }[]).map((x) => x.name)).toEqual(['API_TOKEN']);
    expect(ids((await ok(sa, 'list_alerts', { state: 'firing' })).alerts)).toEqual([aAlert.id]);
    expect(B.userId).not.toBe(A.userId);
  });
});
