// Every tool through a real stdio child, on both backends: each of the 23
// tools answers successfully at least once, with structuredContent that fits
// the outputSchema published in tools/list (checked here as well as by the
// SDK client) and a text block holding the same JSON. Signed out, each of the 19 tools
// but the sign-in three says so in one sentence, and resources ask to sign in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { newId } from '../src/infra/ids.js';
import { alertsStore } from '../src/store/alerts.js';
import { backends, makeApp, makeEnv, type TestEnv } from './helpers/env.js';
import { schemaProblems } from './helpers/json-schema-check.js';
import { type StdioServer, startServer } from './helpers/stdio.js';

const TOOL_NAMES = [
  'request_login_code',
  'verify_login_code',
  'whoami',
  'logout',
  'create_monitor',
  'list_monitors',
  'get_monitor',
  'get_monitor_history',
  'update_monitor',
  'delete_monitor',
  'pause_monitor',
  'resume_monitor',
  'run_check',
  'set_secret',
  'list_secrets',
  'delete_secret',
  'create_alert_rule',
  'list_alert_rules',
  'update_alert_rule',
  'delete_alert_rule',
  'list_alerts',
  'acknowledge_alert',
  'resolve_alert',
];

/** The text of a resource content block. */
const textOf = (c: object | undefined): string => String((c as { text?: unknown } | undefined)?.text);

const NOT_SIGNED_IN = 'Not signed in: call request_login_code with your email.';

/** Arguments each tool accepts, so a signed-out call fails on sign-in and not on its input. */
const VALID_ARGS: Record<string, Record<string, unknown>> = {
  logout: {},
  create_monitor: { name: 'x', type: 'tcp', target: 'example.com:80' },
  list_monitors: {},
  get_monitor: { id: 'q3J9x0sKQ0aV7m1wZb2L4g' },
  update_monitor: { id: 'q3J9x0sKQ0aV7m1wZb2L4g', name: 'y' },
  delete_monitor: { id: 'q3J9x0sKQ0aV7m1wZb2L4g' },
  pause_monitor: { id: 'q3J9x0sKQ0aV7m1wZb2L4g' },
  resume_monitor: { id: 'q3J9x0sKQ0aV7m1wZb2L4g' },
  run_check: { type: 'tcp', target: '127.0.0.1:1' },
  get_monitor_history: { id: 'q3J9x0sKQ0aV7m1wZb2L4g' },
  set_secret: { name: 'API_TOKEN', value: 'v' },
  list_secrets: {},
  delete_secret: { name: 'API_TOKEN' },
  create_alert_rule: { condition: { type: 'down' } },
  list_alert_rules: {},
  update_alert_rule: { id: 'Xk2v9QpL0sJm3nB7cD1eFg', enabled: false },
  delete_alert_rule: { id: 'Xk2v9QpL0sJm3nB7cD1eFg' },
  list_alerts: { state: 'open' },
  acknowledge_alert: { id: 'Vb7nQ2xLk9sPq0mZ4cR1tA' },
  resolve_alert: { id: 'Vb7nQ2xLk9sPq0mZ4cR1tA' },
};

type Json = Record<string, unknown>;
type Result = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Json };
interface Monitor {
  id: string;
  name: string;
  type: string;
  status: string;
  enabled: boolean;
  intervalSeconds: number;
  settings: Json;
  latestResult?: Json | null;
}
interface Alert {
  id: string;
  state: string;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
}

describe.each(backends)('every tool over stdio (%s)', (backend) => {
  let t: TestEnv;
  let server: StdioServer;
  let helperApp: App | undefined;
  let outputSchemas = new Map<string, unknown>();
  const succeeded = new Set<string>();
  const email = 'tools@example.com';
  let userId = '';
  const monitors: Record<string, Monitor> = {};
  /** Ids made in one step and used in a later one. */
  const saved: Record<string, string> = {};

  beforeAll(async () => {
    // run_check below reaches 127.0.0.1, which the target guard allows only with ALLOW_PRIVATE_TARGETS.
    t = await makeEnv(backend, { MONITORS_MCP_WORKER: 'off', ALLOW_PRIVATE_TARGETS: 'true' });
    server = await startServer(t.env);
  });

  afterAll(async () => {
    await server?.close();
    await helperApp?.close();
    await t?.cleanup();
  });

  const raw = async (name: string, args: Json = {}) => (await server.client.callTool({ name, arguments: args })) as Result;

  /** A successful call, checked against the published outputSchema and for text === JSON of structuredContent. */
  async function ok<T = Json>(name: string, args: Json = {}): Promise<T> {
    const r = await raw(name, args);
    if (r.isError) throw new Error(`${name} ${JSON.stringify(args)} failed: ${r.content[0]?.text}`);
    expect(r.structuredContent, name).toBeDefined();
    expect(r.content, name).toHaveLength(1);
    expect(r.content[0]!.type).toBe('text');
    expect(r.content[0]!.text).toBe(JSON.stringify(r.structuredContent));
    const schema = outputSchemas.get(name);
    expect(schema, `no outputSchema for ${name}`).toBeDefined();
    expect(schemaProblems(schema, r.structuredContent), name).toEqual([]);
    succeeded.add(name);
    return r.structuredContent as T;
  }

  async function refused(name: string, args: Json): Promise<string> {
    const r = await raw(name, args);
    expect(r.isError, `${name} should be refused`).toBe(true);
    expect(r.structuredContent).toBeUndefined();
    expect(r.content).toHaveLength(1);
    return r.content[0]!.text;
  }

  async function db() {
    helperApp ??= makeApp(t.env);
    return (await helperApp.services()).database.db;
  }

  async function openAlert(ruleId: string, monitorId: string, message: string): Promise<string> {
    const now = Date.now();
    const row = await alertsStore(await db()).open({
      id: newId(),
      user_id: userId,
      rule_id: ruleId,
      monitor_id: monitorId,
      severity: 'critical',
      message,
      opened_at: now,
      last_notified_at: null,
      updated_at: now,
    });
    if (!row) throw new Error('an alert was already open');
    return row.id;
  }

  it('tools/list: the 23 tools, each with a title, description, annotations and object schemas without $schema', async () => {
    const { tools } = await server.client.listTools();
    expect(tools.map((x) => x.name).sort()).toEqual([...TOOL_NAMES].sort());
    expect(tools).toHaveLength(23);
    for (const tool of tools) {
      expect(tool.name).toMatch(/^[a-z0-9_]{1,40}$/);
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.description!.length, tool.name).toBeGreaterThan(20);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type, tool.name).toBe('object');
      expect(JSON.stringify(tool)).not.toContain('$schema');
      for (const k of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        expect(typeof tool.annotations?.[k], `${tool.name} ${k}`).toBe('boolean');
      }
    }
    outputSchemas = new Map(tools.map((x) => [x.name, x.outputSchema]));
    // The checker used below is not vacuous: it catches a wrong type, a missing key, an unknown key and a bad enum.
    const schema = outputSchemas.get('get_monitor');
    const good = {
      monitor: {
        id: 'q3J9x0sKQ0aV7m1wZb2L4g',
        name: 'n',
        type: 'http',
        target: 'https://example.com/',
        status: 'up',
        enabled: true,
        intervalSeconds: 300,
        lastCheckedAt: null,
        lastLatencyMs: null,
        lastError: null,
        timeoutMs: 10000,
        settings: { method: 'GET', assertions: [{ source: 'status', op: 'eq', value: 200 }] },
        lastValue: null,
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
        latestResult: null,
      },
    };
    expect(schemaProblems(schema, good)).toEqual([]);
    const bad = structuredClone(good) as unknown as { monitor: Record<string, unknown> & { settings: Json } };
    bad.monitor.enabled = 'yes';
    delete bad.monitor.createdAt;
    bad.monitor.extra = 1;
    bad.monitor.settings.method = 'FETCH';
    bad.monitor.latestResult = { checkedAt: 'x' };
    const problems = schemaProblems(schema, bad).join('\n');
    for (const p of ['monitor.enabled', '"createdAt" is missing', 'monitor.extra', 'settings.method', 'latestResult']) {
      expect(problems).toContain(p);
    }
  });

  it('signed out: all 19 tools but the sign-in three answer the same sentence, resources ask to sign in, whoami says so', async () => {
    expect(Object.keys(VALID_ARGS).sort()).toEqual(TOOL_NAMES.filter((n) => !n.includes('login') && n !== 'whoami').sort());
    expect(Object.keys(VALID_ARGS)).toHaveLength(20); // 23 tools less request_login_code, verify_login_code, whoami
    for (const [name, args] of Object.entries(VALID_ARGS)) {
      expect(await refused(name, args), name).toBe(NOT_SIGNED_IN);
    }
    const who = await ok<Json>('whoami');
    expect(who).toEqual({ signedIn: false, message: NOT_SIGNED_IN });

    const templates = await server.client.listResourceTemplates();
    expect(templates.resourceTemplates.map((x) => x.uriTemplate)).toEqual(['monitor://{id}']);
    expect((await server.client.listResources()).resources).toEqual([]);
    for (const uri of ['alerts://open', 'monitor://q3J9x0sKQ0aV7m1wZb2L4g']) {
      const err = await server.client.readResource({ uri }).then(
        () => undefined,
        (e: Error & { code?: number }) => e,
      );
      expect(err, uri).toBeInstanceOf(Error);
      expect(err!.message).toContain(NOT_SIGNED_IN);
      expect(err!.code).toBe(-32600);
    }
  });

  it('signs in: request_login_code, verify_login_code, whoami', async () => {
    const req = await ok<Json>('request_login_code', { email });
    expect(req).toMatchObject({ sent: true, delivery: 'console', expiresInSeconds: 600 });
    const ver = await ok<{ signedIn: boolean; user: { id: string; email: string; tier: string } }>('verify_login_code', {
      email,
      code: await server.codeFor(email),
    });
    expect(ver).toMatchObject({ signedIn: true, user: { email, tier: 'free' } });
    userId = ver.user.id;
    const who = await ok<Json>('whoami');
    expect(who).toMatchObject({ signedIn: true, user: { id: userId, email, tier: 'free' } });
  });

  it('secrets: set, replace, list (names only), delete', async () => {
    const first = await ok<{ secret: Json }>('set_secret', { name: 'API_TOKEN', value: 'sk-live-first' });
    expect(first.secret).toMatchObject({ name: 'API_TOKEN' });
    const again = await ok<{ secret: Json }>('set_secret', { name: 'API_TOKEN', value: 'sk-live-second' });
    expect(again.secret.createdAt).toBe(first.secret.createdAt);
    await ok('set_secret', { name: 'SCRATCH', value: 'temporary' });
    const list = await ok<{ secrets: Json[] }>('list_secrets', { limit: 10 });
    expect(list.secrets.map((s) => s.name)).toEqual(['API_TOKEN', 'SCRATCH']);
    expect(JSON.stringify(list)).not.toMatch(/sk-live|temporary/);
    expect(await ok('delete_secret', { name: 'SCRATCH' })).toEqual({ deleted: true, name: 'SCRATCH' });
    expect((await ok<{ secrets: Json[] }>('list_secrets', {})).secrets.map((s) => s.name)).toEqual(['API_TOKEN']);
  });

  it('create_monitor: one of each type with its own settings', async () => {
    const http = await ok<{ monitor: Monitor }>('create_monitor', {
      name: 'API health',
      type: 'http',
      target: 'https://api.example.com/health',
      method: 'POST',
      headers: { Authorization: 'Bearer {{secrets.API_TOKEN}}', 'X-Trace': 'on' },
      body: '{"ping": true}',
      expectedStatus: '200,204',
      keyword: 'ok',
      keywordAbsent: false,
      jsonPath: 'queue.depth',
      maxRedirects: 2,
      assertions: [
        { source: 'json', path: 'status', op: 'eq', value: 'ok' },
        { source: 'status', op: 'lt', value: 300 },
      ],
      intervalSeconds: 600,
      timeoutMs: 5000,
    });
    expect(http.monitor).toMatchObject({
      name: 'API health',
      type: 'http',
      status: 'unknown',
      enabled: true,
      intervalSeconds: 600,
      timeoutMs: 5000,
      settings: {
        method: 'POST',
        headers: { Authorization: 'Bearer {{secrets.API_TOKEN}}', 'X-Trace': 'on' },
        body: '{"ping": true}',
        expectedStatus: '200,204',
        keyword: 'ok',
        keywordAbsent: false,
        jsonPath: 'queue.depth',
        maxRedirects: 2,
      },
    });
    expect(http.monitor.settings.assertions).toHaveLength(2);
    monitors.http = http.monitor;

    const tcp = await ok<{ monitor: Monitor }>('create_monitor', {
      name: 'Database port',
      type: 'tcp',
      target: 'db.example.com:5432',
      assertions: [{ source: 'latencyMs', op: 'lt', value: 500 }],
    });
    expect(tcp.monitor).toMatchObject({ type: 'tcp', target: 'db.example.com:5432', intervalSeconds: 300 });
    monitors.tcp = tcp.monitor;

    const dns = await ok<{ monitor: Monitor }>('create_monitor', {
      name: 'Mail DNS',
      type: 'dns',
      target: 'example.com',
      recordType: 'MX',
      expectedValue: 'mx1.example.com',
    });
    expect(dns.monitor).toMatchObject({ type: 'dns', settings: { recordType: 'MX', expectedValue: 'mx1.example.com' } });
    monitors.dns = dns.monitor;

    const tls = await ok<{ monitor: Monitor }>('create_monitor', {
      name: 'Certificate',
      type: 'tls',
      target: 'example.com:443',
      assertions: [{ source: 'certDaysLeft', op: 'gt', value: 14 }],
      enabled: false,
    });
    expect(tls.monitor).toMatchObject({ type: 'tls', status: 'paused', enabled: false });
    monitors.tls = tls.monitor;
  });

  it('run_check: an unsaved definition runs once and nothing is stored', async () => {
    const out = await ok<{ result: Json; stored: boolean; monitorId?: string }>('run_check', {
      type: 'tcp',
      target: '127.0.0.1:1',
      timeoutMs: 2000,
    });
    expect(out).toMatchObject({
      stored: false,
      result: { status: 'down', statusCode: null, value: null, error: 'The connection was refused (nothing listening there).' },
    });
    expect(out.monitorId).toBeUndefined();
    expect(Date.parse(String(out.result.checkedAt))).toBeGreaterThan(Date.now() - 60_000);
  });

  it('get_monitor_history: a stored run shows up with its summary', async () => {
    const { monitor } = await ok<{ monitor: Monitor }>('create_monitor', { name: 'History', type: 'tcp', target: '127.0.0.1:1' });
    const run = await ok<{ result: Json; stored: boolean }>('run_check', { id: monitor.id });
    expect(run).toMatchObject({ stored: true, result: { status: 'down' } });
    const h = await ok<{ results: Json[]; summary: Json; nextCursor?: string }>('get_monitor_history', { id: monitor.id });
    expect(h.results).toHaveLength(1);
    expect(h.results[0]).toMatchObject({ status: 'down', error: run.result.error });
    expect(h.summary).toMatchObject({ checks: 1, uptimePercent: 0, p50LatencyMs: null, p95LatencyMs: null });
    expect(h.nextCursor).toBeUndefined();
    await ok('delete_monitor', { id: monitor.id });
  });

  it('list_monitors, get_monitor, update_monitor', async () => {
    const all = await ok<{ monitors: Monitor[]; nextCursor?: string }>('list_monitors', {});
    expect(all.monitors.map((m) => m.name).sort()).toEqual(['API health', 'Certificate', 'Database port', 'Mail DNS']);
    expect(all.nextCursor).toBeUndefined();
    const page = await ok<{ monitors: Monitor[]; nextCursor?: string }>('list_monitors', { limit: 3 });
    expect(page.monitors).toHaveLength(3);
    const rest = await ok<{ monitors: Monitor[]; nextCursor?: string }>('list_monitors', { limit: 3, cursor: page.nextCursor });
    expect(rest.monitors).toHaveLength(1);
    expect(rest.nextCursor).toBeUndefined();
    expect((await ok<{ monitors: Monitor[] }>('list_monitors', { status: 'paused' })).monitors.map((m) => m.id)).toEqual([
      monitors.tls!.id,
    ]);
    expect((await ok<{ monitors: Monitor[] }>('list_monitors', { query: 'DNS' })).monitors.map((m) => m.id)).toEqual([
      monitors.dns!.id,
    ]);

    const got = await ok<{ monitor: Monitor }>('get_monitor', { id: monitors.http!.id });
    expect(got.monitor).toMatchObject({ id: monitors.http!.id, name: 'API health', latestResult: null });

    const upd = await ok<{ monitor: Monitor }>('update_monitor', {
      id: monitors.http!.id,
      intervalSeconds: 900,
      keyword: 'healthy',
    });
    expect(upd.monitor).toMatchObject({ intervalSeconds: 900, settings: { keyword: 'healthy', method: 'POST' } });
    expect((await ok<{ monitor: Monitor }>('get_monitor', { id: monitors.http!.id })).monitor.intervalSeconds).toBe(900);
  });

  it('pause_monitor and resume_monitor move the status, and repeating either changes nothing', async () => {
    const id = monitors.tcp!.id;
    const p1 = await ok<{ monitor: Monitor }>('pause_monitor', { id });
    expect(p1.monitor).toMatchObject({ status: 'paused', enabled: false });
    const p2 = await ok<{ monitor: Monitor }>('pause_monitor', { id });
    expect(p2.monitor).toEqual(p1.monitor);
    expect((await ok<{ monitor: Monitor }>('get_monitor', { id })).monitor).toMatchObject({ status: 'paused', enabled: false });
    expect((await ok<{ monitors: Monitor[] }>('list_monitors', { status: 'paused' })).monitors.map((m) => m.id).sort()).toEqual(
      [id, monitors.tls!.id].sort(),
    );

    const r1 = await ok<{ monitor: Monitor }>('resume_monitor', { id });
    expect(r1.monitor).toMatchObject({ status: 'unknown', enabled: true });
    const r2 = await ok<{ monitor: Monitor }>('resume_monitor', { id });
    expect(r2.monitor).toEqual(r1.monitor);
    expect((await ok<{ monitor: Monitor }>('get_monitor', { id })).monitor).toMatchObject({ status: 'unknown', enabled: true });
    // The tls monitor was created paused: resuming starts it.
    expect((await ok<{ monitor: Monitor }>('resume_monitor', { id: monitors.tls!.id })).monitor).toMatchObject({
      status: 'unknown',
      enabled: true,
    });
  });

  it('alert rules: create, list, update, delete', async () => {
    const down = await ok<{ rule: Json }>('create_alert_rule', {
      monitorId: monitors.http!.id,
      condition: { type: 'down' },
      forChecks: 3,
      severity: 'critical',
      channels: [{ type: 'email' }, { type: 'webhook', url: 'https://hooks.example.com/x' }],
      repeatMinutes: 30,
    });
    expect(down.rule).toMatchObject({
      monitorId: monitors.http!.id,
      condition: { type: 'down' },
      forChecks: 3,
      recoverChecks: 2,
      severity: 'critical',
      repeatMinutes: 30,
      enabled: true,
    });
    const cert = await ok<{ rule: Json }>('create_alert_rule', {
      monitorId: monitors.tls!.id,
      condition: { type: 'certExpiresWithin', days: 14 },
    });
    const slow = await ok<{ rule: Json }>('create_alert_rule', { condition: { type: 'latencyAbove', ms: 2000 }, name: 'Slow' });
    expect(slow.rule).toMatchObject({ monitorId: null, name: 'Slow', severity: 'warning', channels: [{ type: 'email' }] });

    const list = await ok<{ rules: Json[] }>('list_alert_rules', {});
    expect(list.rules.map((r) => r.id).sort()).toEqual([down.rule.id, cert.rule.id, slow.rule.id].sort());
    const forTls = await ok<{ rules: Json[] }>('list_alert_rules', { monitorId: monitors.tls!.id });
    expect(forTls.rules.map((r) => r.id)).toEqual([cert.rule.id]);

    const upd = await ok<{ rule: Json }>('update_alert_rule', {
      id: slow.rule.id,
      condition: { type: 'latencyAbove', ms: 1500 },
      monitorId: monitors.tcp!.id,
      enabled: false,
    });
    expect(upd.rule).toMatchObject({
      condition: { type: 'latencyAbove', ms: 1500 },
      monitorId: monitors.tcp!.id,
      enabled: false,
    });

    expect(await ok('delete_alert_rule', { id: cert.rule.id })).toEqual({ deleted: true, id: cert.rule.id });
    expect((await ok<{ rules: Json[] }>('list_alert_rules', {})).rules.map((r) => r.id).sort()).toEqual(
      [down.rule.id, slow.rule.id].sort(),
    );
    saved.ruleDown = String(down.rule.id);
    saved.ruleSlow = String(slow.rule.id);
  });

  it('alerts: list, acknowledge twice, resolve twice, resolve straight from firing', async () => {
    const first = await openAlert(saved.ruleDown!, monitors.http!.id, 'API health is down');
    const second = await openAlert(saved.ruleSlow!, monitors.tcp!.id, 'Database port is slow');

    const open = await ok<{ alerts: Alert[] }>('list_alerts', { state: 'open' });
    expect(open.alerts.map((a) => a.id).sort()).toEqual([first, second].sort());
    expect(open.alerts.every((a) => a.state === 'firing')).toBe(true);
    const byMonitor = await ok<{ alerts: Alert[] }>('list_alerts', { monitorId: monitors.http!.id });
    expect(byMonitor.alerts.map((a) => a.id)).toEqual([first]);

    const a1 = await ok<{ alert: Alert }>('acknowledge_alert', { id: first });
    expect(a1.alert).toMatchObject({ id: first, state: 'acknowledged', resolvedAt: null });
    expect(a1.alert.acknowledgedAt).toEqual(expect.any(String));
    const a2 = await ok<{ alert: Alert }>('acknowledge_alert', { id: first });
    expect(a2.alert).toEqual(a1.alert);
    expect((await ok<{ alerts: Alert[] }>('list_alerts', { state: 'acknowledged' })).alerts.map((a) => a.id)).toEqual([first]);

    const r1 = await ok<{ alert: Alert }>('resolve_alert', { id: first });
    expect(r1.alert).toMatchObject({ id: first, state: 'resolved', acknowledgedAt: a1.alert.acknowledgedAt });
    expect(r1.alert.resolvedAt).toEqual(expect.any(String));
    const r2 = await ok<{ alert: Alert }>('resolve_alert', { id: first });
    expect(r2.alert).toEqual(r1.alert);
    // Acknowledging a resolved alert leaves it resolved, and is not an error.
    expect((await ok<{ alert: Alert }>('acknowledge_alert', { id: first })).alert).toEqual(r1.alert);

    const direct = await ok<{ alert: Alert }>('resolve_alert', { id: second });
    expect(direct.alert).toMatchObject({ id: second, state: 'resolved', acknowledgedAt: null });
    expect((await ok<{ alerts: Alert[] }>('list_alerts', { state: 'open' })).alerts).toEqual([]);
    expect((await ok<{ alerts: Alert[] }>('list_alerts', { state: 'resolved' })).alerts.map((a) => a.id).sort()).toEqual(
      [first, second].sort(),
    );
    // A fresh alert may open for the same rule and monitor once the old one is resolved.
    saved.openAlert = await openAlert(saved.ruleDown!, monitors.http!.id, 'down again');
  });

  it('resources: templates, the list, and each monitor and the open alerts read as JSON with recent results', async () => {
    const d = await db();
    const base = Date.now() - 3_600_000;
    for (let i = 0; i < 25; i++) {
      await d
        .insertInto('monitor_results')
        .values({
          id: newId(),
          user_id: userId,
          monitor_id: monitors.http!.id,
          checked_at: base + i * 60_000,
          status: i % 5 === 0 ? 'down' : 'up',
          latency_ms: 100 + i,
          status_code: i % 5 === 0 ? 503 : 200,
          value: i,
          error: i % 5 === 0 ? 'HTTP 503' : null,
        })
        .execute();
    }

    const templates = await server.client.listResourceTemplates();
    expect(templates.resourceTemplates).toEqual([
      expect.objectContaining({ uriTemplate: 'monitor://{id}', mimeType: 'application/json' }),
    ]);

    const { resources } = await server.client.listResources();
    const ids = ['http', 'tcp', 'dns', 'tls'].map((k) => monitors[k]!.id);
    expect(resources.map((r) => r.uri).sort()).toEqual(['alerts://open', ...ids.map((id) => `monitor://${id}`)].sort());

    for (const r of resources) {
      const read = await server.client.readResource({ uri: r.uri });
      expect(read.contents).toHaveLength(1);
      expect(read.contents[0]).toMatchObject({ uri: r.uri, mimeType: 'application/json' });
      const body = JSON.parse(textOf(read.contents[0])) as Json;
      if (r.uri === 'alerts://open') {
        const open = body.alerts as Alert[];
        expect(open.map((a) => a.id)).toEqual([saved.openAlert!]);
        expect(open[0]).toMatchObject({ state: 'firing', monitorId: monitors.http!.id, message: 'down again' });
        continue;
      }
      const m = body.monitor as Monitor & { recentResults: Json[] };
      expect(`monitor://${m.id}`).toBe(r.uri);
      expect(Array.isArray(m.recentResults)).toBe(true);
      if (m.id === monitors.http!.id) {
        expect(m.recentResults).toHaveLength(20);
        expect(m.recentResults.map((x) => x.value)).toEqual(Array.from({ length: 20 }, (_, i) => 24 - i));
        expect(m.latestResult).toEqual(m.recentResults[0]);
        expect(m.recentResults[0]).toMatchObject({ status: 'up', latencyMs: 124, statusCode: 200, error: null });
        expect(m.recentResults[4]).toMatchObject({ status: 'down', statusCode: 503, error: 'HTTP 503' });
      } else {
        expect(m.recentResults).toEqual([]);
        expect(m.latestResult).toBeNull();
      }
    }

    // get_monitor shows the latest result too, and it fits the published schema.
    const got = await ok<{ monitor: Monitor }>('get_monitor', { id: monitors.http!.id });
    expect(got.monitor.latestResult).toMatchObject({ value: 24, status: 'up' });
  });

  it('delete_monitor, then logout: the tools say to sign in again', async () => {
    const id = monitors.dns!.id;
    expect(await ok('delete_monitor', { id })).toEqual({ deleted: true, id });
    expect(await refused('get_monitor', { id })).toMatch(/^No monitor with that id/);
    expect((await ok<{ monitors: Monitor[] }>('list_monitors', {})).monitors.map((m) => m.id)).not.toContain(id);

    expect(await ok('logout', {})).toEqual({ signedOut: true, sessionsRevoked: 1 });
    expect(await ok('whoami')).toMatchObject({ signedIn: false });
    expect(await refused('list_monitors', {})).toBe(NOT_SIGNED_IN);
    expect((await server.client.listResources()).resources).toEqual([]);
  });

  it('every one of the 23 tools answered successfully at least once', () => {
    expect([...succeeded].sort()).toEqual([...TOOL_NAMES].sort());
  });
});
