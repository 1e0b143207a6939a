// Dependencies that vanish mid-run, through a TCP proxy we can cut: Redis
// down means sessions are checked in the database (never skipped), and a
// database that goes away is a clear isError while the process lives on.
// Both come back without a restart.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { makeEnv, mysqlAdminUrl, redisUrl, sharedAvailable, type TestEnv } from './helpers/env.js';
import { runCli } from './helpers/run-cli.js';
import { type StdioServer, startServer } from './helpers/stdio.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

type Who = { signedIn: boolean; user?: { email: string }; message?: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function whoami(server: StdioServer): Promise<{ isError: boolean; who: Who; text: string }> {
  const r = await server.client.callTool({ name: 'whoami', arguments: {} });
  return {
    isError: r.isError === true,
    who: r.structuredContent as Who,
    text: (r.content as { type: string; text: string }[])[0]?.text ?? '',
  };
}

async function signIn(server: StdioServer, email: string): Promise<void> {
  const req = await server.client.callTool({ name: 'request_login_code', arguments: { email } });
  expect(req.isError, JSON.stringify(req)).toBeFalsy();
  const code = await server.codeFor(email);
  const ver = await server.client.callTool({ name: 'verify_login_code', arguments: { email, code } });
  expect(ver.isError, JSON.stringify(ver)).toBeFalsy();
  expect(ver.structuredContent).toMatchObject({ signedIn: true, user: { email } });
}

/** Waits until `check` is true, or fails after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function jtiOf(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string };
  return payload.jti;
}

describe('faults: dependencies that go away and come back', () => {
  let t: TestEnv | undefined;
  let proxy: TcpProxy | undefined;
  let server: StdioServer | undefined;
  let redis: Redis | undefined;

  afterEach(async () => {
    await server?.close().catch(() => undefined);
    await proxy?.stop();
    redis?.disconnect();
    await t?.cleanup();
    server = undefined;
    proxy = undefined;
    redis = undefined;
    t = undefined;
  });

  it.skipIf(!sharedAvailable)(
    'Redis stopped mid-run: sessions are checked in the database, logout still bites, and Redis comes back',
    async () => {
      t = await makeEnv('mysql', { LOGIN_RESEND_INTERVAL_SECONDS: '0' });
      const real = new URL(redisUrl);
      proxy = await startTcpProxy({ host: real.hostname, port: Number(real.port || 6379) });
      const viaProxy = new URL(redisUrl);
      viaProxy.port = String(proxy.port);
      t.env.REDIS_URL = viaProxy.toString();
      const prefix = t.env.REDIS_KEY_PREFIX!;
      redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();

      server = await startServer(t.env);
      const email = 'grace@example.com';
      await signIn(server, email);
      const credPath = join(t.home, 'credentials.json');
      const saved = readFileSync(credPath, 'utf8');
      const sessionKey = `${prefix}session:${jtiOf(JSON.parse(saved).token)}`;
      // The session really went to Redis, through the proxy, under the prefix.
      expect(await redis.exists(sessionKey)).toBe(1);
      expect(proxy.accepted).toBeGreaterThanOrEqual(1);

      const ok = await whoami(server);
      expect(ok.isError).toBe(false);
      expect(ok.who).toMatchObject({ signedIn: true, user: { email } });

      // Redis goes away: the session is checked in the database instead.
      await proxy.stop();
      await until(() => server!.stderr().includes('cache unreachable'), 5_000, 'the server to notice Redis is gone');
      for (let i = 0; i < 2; i++) {
        const during = await whoami(server);
        expect(during.isError, during.text).toBe(false);
        expect(during.who).toMatchObject({ signedIn: true, user: { email } });
      }

      // Another process (a terminal) logs out while Redis is still down.
      const out = await runCli(['logout'], t.env);
      expect(out.stderr).not.toMatch(/\n\s+at /);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toContain(`Signed out ${email} (1 session revoked).`);
      // Put the old token back, as a copy held elsewhere would be: the server must refuse it.
      writeFileSync(credPath, saved, { mode: 0o600 });
      const revoked = await whoami(server);
      expect(revoked.isError).toBe(false);
      expect(revoked.who.signedIn).toBe(false);
      expect(revoked.who.message).toMatch(/signed out/i);

      // Redis comes back: the revoked session stays refused (a copy cached before the outage must not revive it).
      const before = proxy.accepted;
      await proxy.start();
      await until(() => proxy!.accepted > before, 8_000, 'the server to reconnect to Redis');
      await sleep(200);
      const stillRevoked = await whoami(server);
      expect(stillRevoked.who.signedIn).toBe(false);
      // A new process after the recovery refuses it too.
      const cliWho = await runCli(['whoami'], t.env);
      expect(cliWho.code, cliWho.stdout + cliWho.stderr).toBe(1);

      // And a fresh sign-in works and is cached in Redis again.
      await signIn(server, email);
      const fresh = JSON.parse(readFileSync(credPath, 'utf8')) as { token: string };
      expect(await redis.exists(`${prefix}session:${jtiOf(fresh.token)}`)).toBe(1);
      const back = await whoami(server);
      expect(back.isError).toBe(false);
      expect(back.who).toMatchObject({ signedIn: true, user: { email } });
    },
  );

  it.skipIf(!sharedAvailable)('database unreachable mid-run: a clear isError, the process lives, and it recovers', async () => {
    // No session cache, so every call goes to the database.
    t = await makeEnv('mysql', { SESSION_CACHE_SECONDS: '0' });
    const admin = new URL(mysqlAdminUrl);
    proxy = await startTcpProxy({ host: admin.hostname, port: Number(admin.port || 3306) });
    const viaProxy = new URL(t.env.DATABASE_URL!);
    viaProxy.port = String(proxy.port);
    t.env.DATABASE_URL = viaProxy.toString();

    server = await startServer(t.env);
    const email = 'linus@example.com';
    await signIn(server, email);
    expect((await whoami(server)).who).toMatchObject({ signedIn: true, user: { email } });

    await proxy.stop();
    for (let i = 0; i < 2; i++) {
      const down = await whoami(server);
      expect(down.isError, JSON.stringify(down)).toBe(true);
      expect(down.text).toMatch(/^The database is unreachable \(ECONNREFUSED\)/);
      expect(down.text).not.toContain('Something went wrong');
      expect(down.text).not.toMatch(/\n\s+at /);
    }
    // The process is alive and answers.
    const listed = await server.client.listTools();
    expect(listed.tools.map((tool) => tool.name)).toContain('whoami');
    expect(server.transport.pid).not.toBeNull();

    await proxy.start();
    let back = await whoami(server);
    for (let i = 0; i < 20 && back.isError; i++) {
      await sleep(100);
      back = await whoami(server);
    }
    expect(back.isError, back.text).toBe(false);
    expect(back.who).toMatchObject({ signedIn: true, user: { email } });
    // Signing in anew works too (a write, not only a read).
    const req = await server.client.callTool({ name: 'logout', arguments: {} });
    expect(req.structuredContent).toEqual({ signedOut: true, sessionsRevoked: 1 });
  });
});
