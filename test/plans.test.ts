// Plan limits on both backends, through the real tools (runTool): exactly at
// the limit is allowed and one over is refused with a sentence naming the
// limit and the plan, nothing is written by a refused call, env overrides
// move the limits, users.tier='pro' switches plans, replacing a secret at the
// limit is allowed, and parallel creates from several processes with one slot
// left create exactly one.
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { snapshotAll } from './helpers/all-tables.js';
import { backends, makeApp, makeEnv, type TestEnv } from './helpers/env.js';
import { countRows } from './helpers/login.js';
import { type StdioServer, startServer } from './helpers/stdio.js';
import { signInApp, type ToolCaller } from './helpers/tool-session.js';

const limitText = (tier: 'free' | 'pro', n: number, what: string) =>
  `The ${tier} plan allows at most ${n} ${what}, and you have reached that limit.${
    tier === 'free' ? ' Delete one you no longer need, or move to the pro plan.' : ' Delete one you no longer need.'
  }`;
const intervalText = (tier: 'free' | 'pro', min: number, asked: number) =>
  `intervalSeconds must be at least ${min} on the ${tier} plan; you asked for ${asked}.`;

const monitor = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  type: 'http',
  target: `https://example.com/${encodeURIComponent(name)}`,
  ...extra,
});
const rule = (ms: number) => ({ condition: { type: 'latencyAbove', ms } });

describe.each(backends)('plan limits (%s)', (backend) => {
  let t: TestEnv | undefined;
  let apps: App[] = [];
  let servers: StdioServer[] = [];

  afterEach(async () => {
    await Promise.allSettled(servers.map((s) => s.close()));
    servers = [];
    await Promise.allSettled(apps.map((a) => a.close()));
    apps = [];
    await t?.cleanup();
    t = undefined;
  });

  async function open(extra: Record<string, string> = {}): Promise<{ c: ToolCaller }> {
    t = await makeEnv(backend, { MONITORS_MCP_WORKER: 'off', SESSION_CACHE_SECONDS: '0', ...extra });
    const env = t.env;
    const app = makeApp(env);
    apps.push(app);
    await app.services();
    return { c: await signInApp(app, 'plan@example.com') };
  }

  async function setTier(tier: string): Promise<void> {
    const { database } = await apps[0]!.services();
    await database.db.updateTable('users').set({ tier }).where('email', '=', 'plan@example.com').execute();
  }

  /** A refused call: one sentence, and every table exactly as before. */
  async function refused(c: ToolCaller, tool: string, args: Record<string, unknown>): Promise<string> {
    const before = await snapshotAll(t!);
    const text = await c.err(tool, args);
    expect(await snapshotAll(t!)).toEqual(before);
    return text;
  }

  it('the default free plan: 10 monitors, interval >= 300 s, 10 secrets, 20 rules; one more is refused', async () => {
    const { c } = await open();
    for (let i = 0; i < 10; i++) await c.ok('create_monitor', monitor(`m${i}`, i === 0 ? {} : { intervalSeconds: 300 + i }));
    const first = await c.ok<{ monitors: { intervalSeconds: number }[] }>('list_monitors', { limit: 1 });
    expect(first.monitors[0]!.intervalSeconds).toBe(300); // the plan minimum is the default
    expect(await refused(c, 'create_monitor', monitor('m10'))).toBe(limitText('free', 10, 'monitors'));
    expect(await countRows(t!, 'monitors')).toBe(10);

    for (let i = 0; i < 10; i++) await c.ok('set_secret', { name: `S${i}`, value: `v${i}` });
    expect(await refused(c, 'set_secret', { name: 'S10', value: 'v' })).toBe(limitText('free', 10, 'secrets'));
    for (let i = 0; i < 20; i++) await c.ok('create_alert_rule', rule(100 + i));
    expect(await refused(c, 'create_alert_rule', rule(999))).toBe(limitText('free', 20, 'alert rules'));
    expect(await countRows(t!, 'secrets')).toBe(10);
    expect(await countRows(t!, 'alert_rules')).toBe(20);

    // Deleting one frees a slot.
    const { monitors } = await c.ok<{ monitors: { id: string }[] }>('list_monitors', { limit: 1 });
    await c.ok('delete_monitor', { id: monitors[0]!.id });
    await c.ok('create_monitor', monitor('m10'));
    expect(await refused(c, 'create_monitor', monitor('m11'))).toBe(limitText('free', 10, 'monitors'));
  });

  it('the minimum interval: exactly the minimum is allowed, one second less is refused on create and update', async () => {
    const { c } = await open();
    const { monitor: m } = await c.ok<{ monitor: { id: string; intervalSeconds: number } }>(
      'create_monitor',
      monitor('edge', { intervalSeconds: 300 }),
    );
    expect(m.intervalSeconds).toBe(300);
    expect(await refused(c, 'create_monitor', monitor('under', { intervalSeconds: 299 }))).toBe(intervalText('free', 300, 299));
    expect(await refused(c, 'update_monitor', { id: m.id, intervalSeconds: 299 })).toBe(intervalText('free', 300, 299));
    expect(
      await refused(c, 'create_monitor', monitor('tcp', { type: 'tcp', target: 'example.com:22', intervalSeconds: 10 })),
    ).toBe(intervalText('free', 300, 10));
    await c.ok('update_monitor', { id: m.id, intervalSeconds: 301 });
  });

  it('env overrides move every limit, users.tier=pro switches to the pro plan and back', async () => {
    const { c } = await open({
      PLAN_FREE_MAX_MONITORS: '3',
      PLAN_FREE_MAX_SECRETS: '2',
      PLAN_FREE_MAX_RULES: '2',
      PLAN_FREE_MIN_INTERVAL_SECONDS: '120',
      PLAN_PRO_MAX_MONITORS: '5',
      PLAN_PRO_MAX_SECRETS: '4',
      PLAN_PRO_MAX_RULES: '3',
      PLAN_PRO_MIN_INTERVAL_SECONDS: '45',
    });
    // free, overridden
    for (let i = 0; i < 3; i++) await c.ok('create_monitor', monitor(`f${i}`, { intervalSeconds: 120 }));
    expect(await refused(c, 'create_monitor', monitor('f3', { intervalSeconds: 120 }))).toBe(limitText('free', 3, 'monitors'));
    expect(await refused(c, 'create_monitor', monitor('f3', { intervalSeconds: 119 }))).toBe(intervalText('free', 120, 119));
    await c.ok('set_secret', { name: 'A', value: 'a1' });
    await c.ok('set_secret', { name: 'B', value: 'b1' });
    expect(await refused(c, 'set_secret', { name: 'C', value: 'c1' })).toBe(limitText('free', 2, 'secrets'));
    // Replacing a secret at the limit is allowed, and really replaces the value.
    await c.ok('set_secret', { name: 'A', value: 'a2' });
    const { secrets, database } = await apps[0]!.services();
    expect(await secrets.reveal({ userId: c.userId }, 'A')).toBe('a2');
    await c.ok('create_alert_rule', rule(1));
    await c.ok('create_alert_rule', rule(2));
    expect(await refused(c, 'create_alert_rule', rule(3))).toBe(limitText('free', 2, 'alert rules'));

    // pro, overridden
    await setTier('pro');
    expect((await c.ok<{ user: { tier: string } }>('whoami')).user.tier).toBe('pro');
    await c.ok('create_monitor', monitor('p3', { intervalSeconds: 45 }));
    const { monitor: p4 } = await c.ok<{ monitor: { id: string } }>('create_monitor', monitor('p4', { intervalSeconds: 46 }));
    expect(await refused(c, 'create_monitor', monitor('p5', { intervalSeconds: 45 }))).toBe(limitText('pro', 5, 'monitors'));
    expect(await refused(c, 'update_monitor', { id: p4.id, intervalSeconds: 44 })).toBe(intervalText('pro', 45, 44));
    await c.ok('update_monitor', { id: p4.id, intervalSeconds: 45 });
    await c.ok('set_secret', { name: 'C', value: 'c1' });
    await c.ok('set_secret', { name: 'D', value: 'd1' });
    expect(await refused(c, 'set_secret', { name: 'E', value: 'e1' })).toBe(limitText('pro', 4, 'secrets'));
    await c.ok('set_secret', { name: 'D', value: 'd2' });
    await c.ok('create_alert_rule', rule(3));
    expect(await refused(c, 'create_alert_rule', rule(4))).toBe(limitText('pro', 3, 'alert rules'));

    // A tier this server does not know gets the free plan.
    await setTier('enterprise');
    expect(await refused(c, 'create_monitor', monitor('x', { intervalSeconds: 120 }))).toBe(limitText('free', 3, 'monitors'));
    // Back on free with more than it allows: the rows stay, nothing new fits, deleting below the limit frees a slot.
    await setTier('free');
    expect(await countRows(t!, 'monitors')).toBe(5);
    expect(await refused(c, 'create_monitor', monitor('x', { intervalSeconds: 120 }))).toBe(limitText('free', 3, 'monitors'));
    expect(await refused(c, 'set_secret', { name: 'E', value: 'e1' })).toBe(limitText('free', 2, 'secrets'));
    await c.ok('set_secret', { name: 'C', value: 'c2' }); // replacing is still allowed
    const rows = await database.db.selectFrom('monitors').select('id').where('user_id', '=', c.userId).execute();
    for (const r of rows.slice(0, 3)) await c.ok('delete_monitor', { id: r.id });
    await c.ok('create_monitor', monitor('x', { intervalSeconds: 120 }));
    expect(await countRows(t!, 'monitors')).toBe(3);
  });

  it('five parallel creates from five server processes with one slot left create exactly one (monitors, secrets, rules)', async () => {
    const { c } = await open({ PLAN_FREE_MAX_MONITORS: '3', PLAN_FREE_MAX_SECRETS: '3', PLAN_FREE_MAX_RULES: '3' });
    // Real processes: the credentials file in the shared home signs them all in as the same person.
    servers = await Promise.all(Array.from({ length: 5 }, () => startServer(t!.env)));
    const race = async (tool: string, args: (i: number) => Record<string, unknown>) => {
      const results = await Promise.all(servers.map((s, i) => s.client.callTool({ name: tool, arguments: args(i) })));
      const texts = results.map((r) => (r.content as { text: string }[])[0]!.text);
      return {
        ok: results.filter((r) => !r.isError).length,
        errors: texts.filter((_, i) => results[i]!.isError),
      };
    };
    await c.ok('create_monitor', monitor('pre-a'));
    await c.ok('create_monitor', monitor('pre-b'));
    await c.ok('set_secret', { name: 'PRE_A', value: 'v' });
    await c.ok('set_secret', { name: 'PRE_B', value: 'v' });
    await c.ok('create_alert_rule', rule(10));
    await c.ok('create_alert_rule', rule(11));
    const { database } = await apps[0]!.services();
    const db = database.db;

    for (let round = 0; round < 2; round++) {
      const m = await race('create_monitor', (i) => monitor(`race${round}-${i}`));
      expect(m.errors).toEqual(Array(4).fill(limitText('free', 3, 'monitors')));
      expect(m.ok).toBe(1);
      const s = await race('set_secret', (i) => ({ name: `RACE${round}_${i}`, value: `v${i}` }));
      expect(s.errors).toEqual(Array(4).fill(limitText('free', 3, 'secrets')));
      expect(s.ok).toBe(1);
      const r = await race('create_alert_rule', (i) => rule(1000 + i));
      expect(r.errors).toEqual(Array(4).fill(limitText('free', 3, 'alert rules')));
      expect(r.ok).toBe(1);
      for (const name of ['monitors', 'secrets', 'alert_rules']) expect(await countRows(t!, name)).toBe(3);

      // Free one slot of each for the next round.
      const mon = await db.selectFrom('monitors').select('id').where('user_id', '=', c.userId).executeTakeFirstOrThrow();
      await c.ok('delete_monitor', { id: mon.id });
      const sec = await db.selectFrom('secrets').select('name').where('user_id', '=', c.userId).executeTakeFirstOrThrow();
      await c.ok('delete_secret', { name: sec.name });
      const rl = await db.selectFrom('alert_rules').select('id').where('user_id', '=', c.userId).executeTakeFirstOrThrow();
      await c.ok('delete_alert_rule', { id: rl.id });
    }
  });
});
