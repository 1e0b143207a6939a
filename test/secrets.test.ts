// Secrets at rest and in motion. SecretBox: a fresh IV each time, additional
// data binding a ciphertext to its user and name, any flipped bit or a short
// tag refused, an unknown key named. Through the service and the database on
// both backends: rows swapped between users or names do not reveal;
// rotate-keys moves every row to the new key, re-running is a no-op, a run
// killed halfway finishes on the next run, and without MASTER_KEY_PREVIOUS it
// exits 1 with a sentence. And a secret's value appears nowhere: not on
// stdout, stderr, in any tool result, any table (but its ciphertext) or the outbox.
import { type ChildProcess, spawn } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { newId } from '../src/infra/ids.js';
import { keyIdOf, type Sealed, SecretBox, SecretUnreadable } from '../src/infra/secret-box.js';
import type { Owner } from '../src/monitors/service.js';
import type { SecretsTable } from '../src/store/schema.js';
import { ALL_TABLES, snapshotAll } from './helpers/all-tables.js';
import { backends, makeApp, makeEnv, type TestEnv } from './helpers/env.js';
import { dbRows } from './helpers/login.js';
import { type RawServer, spawnRaw } from './helpers/raw-stdio.js';
import { runCli } from './helpers/run-cli.js';
import { lastCode, SERVER_ENTRY } from './helpers/stdio.js';

const K1 = randomBytes(32);
const K2 = randomBytes(32);
const K3 = randomBytes(32);
const b64 = (k: Buffer) => k.toString('base64');

function flipBit(base64: string, bit = 0): string {
  const buf = Buffer.from(base64, 'base64');
  buf[bit >> 3]! ^= 1 << (bit & 7);
  return buf.toString('base64');
}

function expectUnreadable(fn: () => unknown, reason: 'tampered' | 'unknown_key'): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'should not open').toBeInstanceOf(SecretUnreadable);
  expect((caught as SecretUnreadable).reason).toBe(reason);
}

describe('SecretBox', () => {
  const box = new SecretBox(K1);

  it('seals the same value differently each time (fresh 12-byte IV, 16-byte tag), and both open', () => {
    const a = box.seal('u1', 'API_TOKEN', 'hunter2');
    const b = box.seal('u1', 'API_TOKEN', 'hunter2');
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(a.tag).not.toBe(b.tag);
    expect(Buffer.from(a.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(a.tag, 'base64')).toHaveLength(16);
    expect(a.keyId).toBe(keyIdOf(K1));
    expect(a.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(box.open('u1', 'API_TOKEN', a)).toBe('hunter2');
    expect(box.open('u1', 'API_TOKEN', b)).toBe('hunter2');
    const ivs = new Set(Array.from({ length: 200 }, () => box.seal('u1', 'X', 'same').iv));
    expect(ivs.size).toBe(200);
    // Not the plaintext, not its base64.
    expect(Buffer.from(a.ciphertext, 'base64').toString('utf8')).not.toContain('hunter2');
    expect(a.ciphertext).not.toContain(Buffer.from('hunter2').toString('base64').slice(0, 8));
  });

  it('is bound to its user and name: the same ciphertext under another user or name does not open', () => {
    const a = box.seal('user-a', 'TOKEN', 'for a only');
    expectUnreadable(() => box.open('user-b', 'TOKEN', a), 'tampered');
    expectUnreadable(() => box.open('user-a', 'OTHER', a), 'tampered');
    expectUnreadable(() => box.open('user-a', 'token', a), 'tampered');
    // Ambiguous concatenations are not confused either.
    const c = box.seal('ab', 'c', 'x');
    expectUnreadable(() => box.open('a', 'bc', c), 'tampered');
    // Swapping the parts of two sealed values does not open.
    const b = box.seal('user-b', 'TOKEN', 'for b only');
    expectUnreadable(() => box.open('user-a', 'TOKEN', { ...a, ciphertext: b.ciphertext }), 'tampered');
    expectUnreadable(() => box.open('user-a', 'TOKEN', { ...a, tag: b.tag }), 'tampered');
    expectUnreadable(() => box.open('user-a', 'TOKEN', { ...a, iv: b.iv }), 'tampered');
    expect(box.open('user-a', 'TOKEN', a)).toBe('for a only');
  });

  it('refuses one flipped bit anywhere in the ciphertext, IV or tag', () => {
    const s = box.seal('u', 'N', 'a secret value of some length');
    for (const field of ['ciphertext', 'iv', 'tag'] as const) {
      const bits = Buffer.from(s[field], 'base64').length * 8;
      for (const bit of [0, 1, 7, 8, Math.floor(bits / 2), bits - 1]) {
        expectUnreadable(() => box.open('u', 'N', { ...s, [field]: flipBit(s[field], bit) }), 'tampered');
      }
    }
    expect(box.open('u', 'N', s)).toBe('a secret value of some length');
  });

  it('refuses a truncated tag (which bare AES-GCM in node would accept), a missing tag and a short IV', () => {
    const s = box.seal('u', 'N', 'value');
    const tag = Buffer.from(s.tag, 'base64');
    // Node itself accepts a 4-byte tag when no authTagLength is given: the box must not.
    const plain = createDecipheriv('aes-256-gcm', K1, Buffer.from(s.iv, 'base64'));
    plain.setAAD(Buffer.from(JSON.stringify(['monitors-mcp secret v1', 'u', 'N'])));
    plain.setAuthTag(tag.subarray(0, 4));
    expect(Buffer.concat([plain.update(Buffer.from(s.ciphertext, 'base64')), plain.final()]).toString()).toBe('value');
    for (const n of [0, 4, 8, 12, 15]) {
      expectUnreadable(() => box.open('u', 'N', { ...s, tag: tag.subarray(0, n).toString('base64') }), 'tampered');
    }
    expectUnreadable(
      () => box.open('u', 'N', { ...s, tag: Buffer.concat([tag, Buffer.from([0])]).toString('base64') }),
      'tampered',
    );
    expectUnreadable(
      () => box.open('u', 'N', { ...s, iv: Buffer.from(s.iv, 'base64').subarray(0, 8).toString('base64') }),
      'tampered',
    );
    expectUnreadable(() => box.open('u', 'N', { ...s, ciphertext: '' }), 'tampered');
  });

  it('names an unknown key, opens with the previous key, and seals only with the current one', () => {
    const s1 = box.seal('u', 'N', 'old');
    const other = new SecretBox(K2);
    expectUnreadable(() => other.open('u', 'N', s1), 'unknown_key');
    expectUnreadable(() => box.open('u', 'N', { ...s1, keyId: 'ffffffffffffffff' }), 'unknown_key');
    // A key id that names the other key does not make it open either.
    expectUnreadable(() => other.open('u', 'N', { ...s1, keyId: keyIdOf(K2) }), 'tampered');
    const both = new SecretBox(K2, K1);
    expect(both.canOpen(keyIdOf(K1))).toBe(true);
    expect(both.canOpen(keyIdOf(K3))).toBe(false);
    expect(both.open('u', 'N', s1)).toBe('old');
    const s2 = both.seal('u', 'N', 'new');
    expect(s2.keyId).toBe(keyIdOf(K2));
    expect(other.open('u', 'N', s2)).toBe('new');
    expectUnreadable(() => box.open('u', 'N', s2), 'unknown_key');
    expect(() => new SecretBox(randomBytes(16))).toThrow('AES-256 keys are 32 bytes');
    expect(() => new SecretBox(K1, randomBytes(31))).toThrow('AES-256 keys are 32 bytes');
  });

  it('decrypts what a plain AES-256-GCM with the documented additional data would (the format is what it says)', () => {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', K1, iv, { authTagLength: 16 });
    c.setAAD(Buffer.from(JSON.stringify(['monitors-mcp secret v1', 'u', 'N'])));
    const ct = Buffer.concat([c.update('outside', 'utf8'), c.final()]);
    const sealed: Sealed = {
      ciphertext: ct.toString('base64'),
      iv: iv.toString('base64'),
      tag: c.getAuthTag().toString('base64'),
      keyId: keyIdOf(K1),
    };
    expect(box.open('u', 'N', sealed)).toBe('outside');
  });
});

describe.each(backends)('secrets in the database (%s)', (backend) => {
  let t: TestEnv | undefined;
  let apps: App[] = [];
  let raw: RawServer | undefined;
  let child: ChildProcess | undefined;

  afterEach(async () => {
    raw?.kill();
    raw = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
    await Promise.allSettled(apps.map((a) => a.close()));
    apps = [];
    await t?.cleanup();
    t = undefined;
  });

  const JWT = randomBytes(48).toString('base64url');
  const keysEnv = (current: Buffer, previous?: Buffer) => ({
    ...t!.env,
    JWT_SECRET: JWT,
    MASTER_KEY: b64(current),
    ...(previous ? { MASTER_KEY_PREVIOUS: b64(previous) } : {}),
  });

  function app(env: Record<string, string>): App {
    const a = makeApp(env);
    apps.push(a);
    return a;
  }

  async function closeAll(): Promise<void> {
    await Promise.allSettled(apps.map((a) => a.close()));
    apps = [];
  }

  async function users(a: App, n: number): Promise<Owner[]> {
    const { users } = await a.services();
    const out: Owner[] = [];
    for (let i = 0; i < n; i++) {
      const u = await users.findOrCreate(`user${i}@example.com`, Date.now());
      out.push({ userId: u.id, tier: 'pro' });
    }
    return out;
  }

  async function secretRows(): Promise<SecretsTable[]> {
    return (await dbRows(t!, 'SELECT * FROM secrets ORDER BY id')) as unknown as SecretsTable[];
  }

  /** Every row opened with `box`: value by "user/name", or the failure reason. */
  async function openAll(box: SecretBox): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const r of await secretRows()) {
      let v: string;
      try {
        v = box.open(r.user_id, r.name, { ciphertext: r.ciphertext, iv: r.iv, tag: r.tag, keyId: r.key_id });
      } catch (err) {
        v = `!${(err as SecretUnreadable).reason}`;
      }
      out.set(`${r.user_id}/${r.name}`, v);
    }
    return out;
  }

  /** Rows sealed with K1 written straight to the table, `count` of them over `owners`. */
  async function bulkSeal(a: App, owners: Owner[], count: number): Promise<Map<string, string>> {
    const { database } = await a.services();
    const box = new SecretBox(K1);
    const expected = new Map<string, string>();
    const rows: SecretsTable[] = [];
    const now = Date.now();
    for (let i = 0; i < count; i++) {
      const o = owners[i % owners.length]!;
      const name = `S_${i}`;
      const value = `value-${i}-${randomBytes(6).toString('hex')}`;
      const s = box.seal(o.userId, name, value);
      rows.push({
        id: newId(),
        user_id: o.userId,
        name,
        ciphertext: s.ciphertext,
        iv: s.iv,
        tag: s.tag,
        key_id: s.keyId,
        created_at: now,
        updated_at: now,
      });
      expected.set(`${o.userId}/${name}`, value);
    }
    for (let i = 0; i < rows.length; i += 500)
      await database.db
        .insertInto('secrets')
        .values(rows.slice(i, i + 500))
        .execute();
    return expected;
  }

  it('rows swapped between users or between names in the database do not reveal', async () => {
    t = await makeEnv(backend);
    const a = app(keysEnv(K1));
    const { secrets, database } = await a.services();
    const [ada, bob] = await users(a, 2);
    await secrets.set(ada!, 'TOKEN', 'ada-token');
    await secrets.set(bob!, 'TOKEN', 'bob-token');
    await secrets.set(ada!, 'OTHER', 'ada-other');
    expect(await secrets.reveal(ada!, 'TOKEN')).toBe('ada-token');
    expect(await secrets.reveal(bob!, 'TOKEN')).toBe('bob-token');

    const db = database.db;
    const cols = ['ciphertext', 'iv', 'tag', 'key_id'] as const;
    const sealedOf = async (userId: string, name: string) =>
      db.selectFrom('secrets').select(cols).where('user_id', '=', userId).where('name', '=', name).executeTakeFirstOrThrow();
    const put = (userId: string, name: string, v: Pick<SecretsTable, (typeof cols)[number]>) =>
      db.updateTable('secrets').set(v).where('user_id', '=', userId).where('name', '=', name).execute();
    const adaToken = await sealedOf(ada!.userId, 'TOKEN');
    const bobToken = await sealedOf(bob!.userId, 'TOKEN');
    const adaOther = await sealedOf(ada!.userId, 'OTHER');

    // Between users.
    await put(ada!.userId, 'TOKEN', bobToken);
    await put(bob!.userId, 'TOKEN', adaToken);
    await expect(secrets.reveal(ada!, 'TOKEN')).rejects.toThrow(
      /cannot be decrypted \(it was damaged or altered\): set it again with set_secret\./,
    );
    await expect(secrets.reveal(bob!, 'TOKEN')).rejects.toThrow(
      /cannot be decrypted \(it was damaged or altered\): set it again with set_secret\./,
    );
    // Between names of one user.
    await put(ada!.userId, 'TOKEN', adaOther);
    await put(ada!.userId, 'OTHER', adaToken);
    await expect(secrets.reveal(ada!, 'TOKEN')).rejects.toThrow(
      /cannot be decrypted \(it was damaged or altered\): set it again with set_secret\./,
    );
    await expect(secrets.reveal(ada!, 'OTHER')).rejects.toThrow(
      /cannot be decrypted \(it was damaged or altered\): set it again with set_secret\./,
    );
    // A row moved to another user wholesale (user_id changed) does not reveal either.
    await put(ada!.userId, 'TOKEN', adaToken);
    await put(ada!.userId, 'OTHER', adaOther);
    await db.deleteFrom('secrets').where('user_id', '=', bob!.userId).execute();
    await db
      .updateTable('secrets')
      .set({ user_id: bob!.userId })
      .where('user_id', '=', ada!.userId)
      .where('name', '=', 'TOKEN')
      .execute();
    await expect(secrets.reveal(bob!, 'TOKEN')).rejects.toThrow(
      /cannot be decrypted \(it was damaged or altered\): set it again with set_secret\./,
    );
    expect(await secrets.reveal(ada!, 'TOKEN')).toBeUndefined();
    expect(await secrets.reveal(ada!, 'OTHER')).toBe('ada-other');
  });

  it('rotate-keys moves every secret to the new key with the same plaintext; a second run is a no-op', async () => {
    t = await makeEnv(backend);
    const a = app(keysEnv(K1));
    const { secrets } = await a.services();
    const owners = await users(a, 3);
    const expected = new Map<string, string>();
    for (let i = 0; i < 30; i++) {
      const o = owners[i % 3]!;
      const value = `v${i}-${randomBytes(8).toString('hex')}`;
      await secrets.set(o, `S_${i}`, value);
      expected.set(`${o.userId}/S_${i}`, value);
    }
    await closeAll();
    expect(new Set((await secretRows()).map((r) => r.key_id))).toEqual(new Set([keyIdOf(K1)]));

    const r1 = await runCli(['rotate-keys'], keysEnv(K2, K1));
    expect(r1.stderr).toBe('');
    expect(r1.stdout).toBe(`Moved 30 secrets to the current key (key id ${keyIdOf(K2)}).\n`);
    expect(r1.code).toBe(0);
    const after = await secretRows();
    expect(after.every((r) => r.key_id === keyIdOf(K2))).toBe(true);
    expect(await openAll(new SecretBox(K2))).toEqual(expected);
    // Re-sealed, not relabelled: the old key cannot open them, and the service reveals under K2 alone.
    expect([...(await openAll(new SecretBox(K1))).values()].every((v) => v === '!unknown_key')).toBe(true);
    const b = app(keysEnv(K2));
    const svc = (await b.services()).secrets;
    for (const o of owners) expect(await svc.reveal(o, 'S_0')).toBe(expected.get(`${o.userId}/S_0`));
    await closeAll();

    const before = await snapshotAll(t);
    const r2 = await runCli(['rotate-keys'], keysEnv(K2, K1));
    expect(r2.stdout).toBe(`Moved 0 secrets to the current key (key id ${keyIdOf(K2)}).\n`);
    expect(r2.code).toBe(0);
    expect(await snapshotAll(t)).toEqual(before);
    // Without MASTER_KEY_PREVIOUS, once every row is under MASTER_KEY, there is nothing to do either.
    const r3 = await runCli(['rotate-keys'], keysEnv(K2));
    expect(r3.code).toBe(0);
    expect(await snapshotAll(t)).toEqual(before);
  });

  it('without MASTER_KEY_PREVIOUS (or with the wrong one) rotate-keys exits 1 with a sentence and changes nothing', async () => {
    t = await makeEnv(backend);
    const a = app(keysEnv(K1));
    const { secrets } = await a.services();
    const [o] = await users(a, 1);
    await secrets.set(o!, 'ONE', 'one');
    await secrets.set(o!, 'TWO', 'two');
    await closeAll();
    const before = await snapshotAll(t);
    const sentence =
      '2 secrets are sealed under a key this server does not have: set MASTER_KEY_PREVIOUS to that key and run rotate-keys again.';

    const r = await runCli(['rotate-keys'], keysEnv(K2));
    expect(r.code).toBe(1);
    expect(`${r.stdout}${r.stderr}`).toContain(sentence);
    expect(await snapshotAll(t)).toEqual(before);

    const wrong = await runCli(['rotate-keys'], keysEnv(K2, K3));
    expect(wrong.code).toBe(1);
    expect(`${wrong.stdout}${wrong.stderr}`).toContain(sentence);
    expect(await snapshotAll(t)).toEqual(before);

    // The old key is still the current one for a server that was not told otherwise.
    const c = app(keysEnv(K1));
    expect(await (await c.services()).secrets.reveal(o!, 'TWO')).toBe('two');
  });

  it('a rotation stopped after its first batch (an exception in-process) finishes on the next run', async () => {
    t = await makeEnv(backend);
    const a = app(keysEnv(K1));
    const owners = await users(a, 4);
    const expected = await bulkSeal(a, owners, 450);
    await closeAll();

    const half = app(keysEnv(K2, K1));
    const { secrets } = await half.services();
    const batches: number[] = [];
    await expect(
      secrets.rotateAll((moved) => {
        batches.push(moved);
        throw new Error('stopped after one batch');
      }),
    ).rejects.toThrow('stopped after one batch');
    expect(batches).toEqual([200]);
    const mixed = await secretRows();
    expect(mixed.filter((r) => r.key_id === keyIdOf(K2))).toHaveLength(200);
    expect(mixed.filter((r) => r.key_id === keyIdOf(K1))).toHaveLength(250);
    // Meanwhile a server holding both keys reads every one of them.
    expect(await openAll(new SecretBox(K2, K1))).toEqual(expected);
    await closeAll();

    const r = await runCli(['rotate-keys'], keysEnv(K2, K1));
    expect(r.stdout).toBe(`Moved 250 secrets to the current key (key id ${keyIdOf(K2)}).\n`);
    expect(r.code).toBe(0);
    expect((await secretRows()).every((x) => x.key_id === keyIdOf(K2))).toBe(true);
    expect(await openAll(new SecretBox(K2))).toEqual(expected);
  });

  it('rotate-keys killed with SIGKILL mid-run (2,000 secrets) leaves every secret readable, and the next run completes', async () => {
    t = await makeEnv(backend);
    const a = app(keysEnv(K1));
    const owners = await users(a, 5);
    const expected = await bulkSeal(a, owners, 2000);
    await closeAll();

    const proc = spawn(process.execPath, [SERVER_ENTRY, 'rotate-keys'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...keysEnv(K2, K1) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const k2 = keyIdOf(K2);
    let movedAtKill = 0;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const [row] = await dbRows(t, 'SELECT COUNT(*) AS n FROM secrets WHERE key_id = ?', [k2]);
      movedAtKill = Number(row!.n);
      if (movedAtKill >= 200 || proc.exitCode !== null || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    proc.kill('SIGKILL');
    const how = await exited;
    expect(how.signal, `rotate-keys finished before it could be killed (moved ${movedAtKill})`).toBe('SIGKILL');
    const atKill = await secretRows();
    const moved = atKill.filter((r) => r.key_id === k2).length;
    expect(moved).toBeGreaterThanOrEqual(200);
    expect(moved).toBeLessThan(2000);
    expect(atKill.filter((r) => r.key_id === keyIdOf(K1))).toHaveLength(2000 - moved);
    // Half-way, with both keys, every secret is readable, none damaged.
    expect(await openAll(new SecretBox(K2, K1))).toEqual(expected);

    const r = await runCli(['rotate-keys'], keysEnv(K2, K1), { timeoutMs: 30_000 });
    expect(r.stdout).toBe(`Moved ${2000 - moved} secrets to the current key (key id ${k2}).\n`);
    expect(r.code).toBe(0);
    expect((await secretRows()).every((x) => x.key_id === k2)).toBe(true);
    expect(await openAll(new SecretBox(K2))).toEqual(expected);
  });

  it('a secret value appears nowhere: stdout, stderr, tool results, tables (except its ciphertext) or the outbox', async () => {
    t = await makeEnv(backend, { LOG_LEVEL: 'debug', MONITORS_MCP_WORKER: 'off' });
    const VALUE = `zq-${randomBytes(12).toString('hex')}-SECRET`;
    const env: Record<string, string> = { ...keysEnv(K1), LOG_LEVEL: 'debug' };
    raw = spawnRaw(env);
    await raw.initialize();
    const results: string[] = [];
    const call = async (name: string, args: Record<string, unknown>) => {
      const res = await raw!.request('tools/call', { name, arguments: args });
      const text = JSON.stringify(res);
      results.push(text);
      return res.result as { isError?: boolean; structuredContent?: Record<string, unknown>; content: { text: string }[] };
    };
    const email = 'keeper@example.com';
    expect((await call('request_login_code', { email })).isError).toBeFalsy();
    let code: string | undefined;
    for (let i = 0; i < 100 && !code; i++) {
      code = lastCode(raw.stderr(), email);
      if (!code) await new Promise((r) => setTimeout(r, 20));
    }
    expect((await call('verify_login_code', { email, code })).isError).toBeFalsy();

    expect((await call('set_secret', { name: 'API_TOKEN', value: VALUE })).isError).toBeFalsy();
    expect((await call('set_secret', { name: 'API_TOKEN', value: VALUE })).isError).toBeFalsy();
    expect((await call('set_secret', { name: 'BODY_KEY', value: `${VALUE}-body` })).isError).toBeFalsy();
    const created = await call('create_monitor', {
      name: 'uses the token',
      type: 'http',
      target: 'https://api.example.com/health?key={{secrets.API_TOKEN}}',
      method: 'POST',
      headers: { Authorization: 'Bearer {{ secrets.API_TOKEN }}' },
      body: '{"k": "{{secrets.BODY_KEY}}"}',
    });
    expect(created.isError, created.content[0]?.text).toBeFalsy();
    const id = (created.structuredContent!.monitor as { id: string }).id;
    expect(await call('update_monitor', { id, keyword: 'ok' })).toMatchObject({ structuredContent: {} });
    await call('pause_monitor', { id });
    await call('resume_monitor', { id });
    await call('get_monitor', { id });
    await call('list_monitors', {});
    await call('list_monitors', { query: 'secrets' });
    await call('list_secrets', {});
    await call('create_alert_rule', { monitorId: id, condition: { type: 'down' } });
    await call('list_alert_rules', {});
    await call('list_alerts', {});
    await call('whoami', {});
    // Refusals that carry the value in their input do not echo it back.
    expect((await call('set_secret', { name: 'bad name!', value: VALUE })).isError).toBe(true);
    expect((await call('set_secret', { name: 'TOO_LONG', value: `${VALUE}${'x'.repeat(9000)}` })).isError).toBe(true);
    expect((await call('set_secret', { name: 'API_TOKEN', value: VALUE, extra: VALUE.length })).isError).toBe(true);
    expect((await call('delete_secret', { name: 'API_TOKEN' })).isError).toBe(true); // still in use
    for (const method of ['resources/list', 'resources/templates/list'])
      results.push(JSON.stringify(await raw.request(method, {})));
    results.push(JSON.stringify(await raw.request('resources/read', { uri: `monitor://${id}` })));
    results.push(JSON.stringify(await raw.request('resources/read', { uri: 'alerts://open' })));
    results.push(JSON.stringify(await raw.request('tools/list', {})));
    await raw.endStdin();

    const needles = [VALUE, Buffer.from(VALUE).toString('base64'), Buffer.from(VALUE).toString('hex'), VALUE.slice(3, 27)];
    const found = (hay: string, where: string) => {
      for (const n of needles) expect(hay.includes(n), `the secret value (or its encoding) in ${where}`).toBe(false);
    };
    expect(results.join('\n')).toContain('{{secrets.API_TOKEN}}'); // the references are there, the value is not
    found(results.join('\n'), 'tool results');
    found(raw.lines.join('\n'), 'stdout');
    expect(raw.badLines).toEqual([]);
    found(raw.stderr(), 'stderr');
    expect(raw.stderr()).toContain('"level":"debug"'); // it really logged at debug

    const snap = await snapshotAll(t);
    for (const table of ALL_TABLES) {
      for (const row of snap[table]) {
        for (const [col, v] of Object.entries(row)) {
          if (v === null || v === undefined) continue;
          const text = Buffer.isBuffer(v) ? v.toString('latin1') : String(v);
          found(text, `${table}.${col}`);
        }
      }
    }
    expect(snap.secrets).toHaveLength(2);
    // The ciphertext is the value encrypted, not the value: it opens to it only with the key.
    const tokenRow = snap.secrets.find((r) => r.name === 'API_TOKEN') as unknown as SecretsTable;
    expect(Buffer.from(tokenRow.ciphertext, 'base64').toString('latin1')).not.toContain(VALUE);
    expect(new SecretBox(K1).open(tokenRow.user_id, 'API_TOKEN', { ...tokenRow, keyId: tokenRow.key_id })).toBe(VALUE);

    const outbox = join(t.home, 'outbox');
    expect(existsSync(outbox)).toBe(true);
    for (const f of readdirSync(outbox)) found(readFileSync(join(outbox, f), 'latin1'), `outbox/${f}`);
    if (backend === 'sqlite') {
      // Not even in the database file's free pages or its write-ahead log.
      for (const f of readdirSync(t.home).filter((n) => n.startsWith('monitors.db'))) {
        found(readFileSync(join(t.home, f)).toString('latin1'), f);
      }
    }
  });
});
