// The whole sign-in over a real stdio child process, on both backends:
// request, read the code from the console mailer, verify, whoami, restart,
// still signed in, logout, signed out, and the old token refused elsewhere.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backends, makeEnv, type TestEnv } from './helpers/env.js';
import { startServer } from './helpers/stdio.js';

type Structured = Record<string, unknown> & { user?: { email: string } };

describe.each(backends)('sign-in over stdio (%s)', (backend) => {
  let t: TestEnv;
  afterEach(async () => t?.cleanup());

  it('signs in, survives a restart, signs out, and the old token dies everywhere', async () => {
    t = await makeEnv(backend);
    const first = await startServer(t.env);
    const before = await first.client.callTool({ name: 'whoami', arguments: {} });
    expect(before.structuredContent).toMatchObject({ signedIn: false });

    const req = await first.client.callTool({ name: 'request_login_code', arguments: { email: '  Ada@Example.COM ' } });
    expect(req.isError).toBeFalsy();
    expect(req.structuredContent).toMatchObject({ sent: true, expiresInSeconds: 600, delivery: 'console' });
    const code = await first.codeFor('ada@example.com');

    const ver = await first.client.callTool({ name: 'verify_login_code', arguments: { email: 'ada@example.com', code } });
    expect(ver.isError).toBeFalsy();
    const signed = ver.structuredContent as Structured;
    expect(signed).toMatchObject({ signedIn: true, user: { email: 'ada@example.com', tier: 'free' } });
    expect(JSON.parse((ver.content as { text: string }[])[0]!.text)).toEqual(signed);

    const credPath = join(t.home, 'credentials.json');
    expect(statSync(credPath).mode & 0o777).toBe(0o600);
    expect(statSync(t.home).mode & 0o777).toBe(0o700);
    const savedFile = readFileSync(credPath, 'utf8');
    const token = JSON.parse(savedFile).token as string;
    expect(first.stderr()).not.toContain(token);
    expect(JSON.stringify(ver)).not.toContain(token);
    await first.close();

    const second = await startServer(t.env);
    const again = await second.client.callTool({ name: 'whoami', arguments: {} });
    expect(again.structuredContent).toMatchObject({ signedIn: true, user: { email: 'ada@example.com' } });
    const out = await second.client.callTool({ name: 'logout', arguments: {} });
    expect(out.structuredContent).toEqual({ signedOut: true, sessionsRevoked: 1 });
    const after = await second.client.callTool({ name: 'whoami', arguments: {} });
    expect(after.structuredContent).toMatchObject({ signedIn: false });
    await second.close();

    // Put the old token back, as a stale copy on another machine would hold it: a new process refuses it.
    writeFileSync(credPath, savedFile, { mode: 0o600 });
    const third = await startServer(t.env);
    const stale = await third.client.callTool({ name: 'whoami', arguments: {} });
    expect(stale.structuredContent).toMatchObject({ signedIn: false });
    expect(String((stale.structuredContent as Structured).message)).toMatch(/signed out|sign in/i);
    const denied = await third.client.callTool({ name: 'logout', arguments: {} });
    expect(denied.isError).toBe(true);
    await third.close();
  });
});
