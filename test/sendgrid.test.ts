// The SendGrid mailer against a local stand-in for api.sendgrid.com: the real
// server over stdio sends the sign-in code through it, and its failures (401,
// 500, nothing listening) become one clear sentence with no code left alive.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeApp, makeEnv, sharedAvailable, type TestEnv } from './helpers/env.js';
import { runCli } from './helpers/run-cli.js';
import { type StdioServer, startServer } from './helpers/stdio.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface SendGridMail {
  personalizations: { to: { email: string; name?: string }[] }[];
  from: { email: string; name?: string };
  subject: string;
  content: { type: string; value: string }[];
}

/** A fake SendGrid: records every request and answers with `reply` (status and JSON body). */
class FakeSendGrid {
  readonly seen: Seen[] = [];
  reply: { status: number; body?: unknown } = { status: 202 };
  scopesReply: { status: number; body?: unknown } = { status: 200, body: { scopes: ['mail.send'] } };
  private server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const r = req.url?.startsWith('/v3/scopes') ? this.scopesReply : this.reply;
      res.writeHead(r.status, r.body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(r.body === undefined ? '' : JSON.stringify(r.body));
    });
  });
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  mails(): SendGridMail[] {
    return this.seen.filter((s) => s.url === '/v3/mail/send').map((s) => JSON.parse(s.body) as SendGridMail);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port on 127.0.0.1 with nothing listening. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const apiKey = () => `SG.${randomBytes(30).toString('base64url')}`; // 40 characters
const FROM = 'Monitors <alerts@monitors.test>';

function textOf(mail: SendGridMail, type: 'text/plain' | 'text/html'): string {
  const part = mail.content.find((c) => c.type === type);
  if (!part) throw new Error(`no ${type} part in ${JSON.stringify(mail)}`);
  return part.value;
}

function codeOf(mail: SendGridMail): string {
  const m = /^(\d{6})$/m.exec(textOf(mail, 'text/plain'));
  if (!m) throw new Error(`no standalone 6-digit code in ${textOf(mail, 'text/plain')}`);
  return m[1]!;
}

function text(r: unknown): string {
  return ((r as { content?: { type: string; text: string }[] }).content ?? [])[0]?.text ?? '';
}

/** The stored login code rows for an address, read straight from the database. */
async function codeRows(env: Record<string, string>, email: string): Promise<unknown[]> {
  const app = makeApp(env);
  try {
    const { database } = await app.services();
    return await database.db.selectFrom('login_codes').selectAll().where('email', '=', email).execute();
  } finally {
    await app.close();
  }
}

describe('SendGrid mail through a local stand-in', () => {
  const fake = new FakeSendGrid();
  let t: TestEnv | undefined;
  let server: StdioServer | undefined;

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  afterEach(async () => {
    await server?.close().catch(() => undefined);
    await t?.cleanup();
    server = undefined;
    t = undefined;
    fake.seen.length = 0;
    fake.reply = { status: 202 };
    fake.scopesReply = { status: 200, body: { scopes: ['mail.send'] } };
  });

  async function start(backend: 'sqlite' | 'mysql', key: string, baseUrl = fake.url): Promise<StdioServer> {
    t = await makeEnv(backend, { SENDGRID_API_KEY: key, SENDGRID_BASE_URL: baseUrl, MAIL_FROM: FROM });
    server = await startServer(t.env);
    return server;
  }

  async function sendsAndSignsIn(backend: 'sqlite' | 'mysql'): Promise<void> {
    const key = apiKey();
    const s = await start(backend, key);
    const email = 'Ada.Lovelace@Example.com';
    const req = await s.client.callTool({ name: 'request_login_code', arguments: { email } });
    expect(req.isError, text(req)).toBeFalsy();
    expect(req.structuredContent).toMatchObject({ sent: true, expiresInSeconds: 600, delivery: 'email' });
    expect(text(req)).toContain('ada.lovelace@example.com');

    const posts = fake.seen.filter((r) => r.url === '/v3/mail/send');
    expect(posts).toHaveLength(1);
    const post = posts[0]!;
    expect(post.method).toBe('POST');
    expect(post.headers.authorization).toBe(`Bearer ${key}`);
    expect(post.headers['content-type']).toMatch(/^application\/json/);
    const mail = JSON.parse(post.body) as SendGridMail;
    expect(mail.personalizations).toHaveLength(1);
    expect(mail.personalizations[0]!.to).toEqual([{ email: 'ada.lovelace@example.com' }]);
    expect(mail.from).toEqual({ email: 'alerts@monitors.test', name: 'Monitors' });
    expect(mail.subject).toBe('Your monitors-mcp sign-in code');
    const code = codeOf(mail);
    expect(code).toMatch(/^\d{6}$/);
    expect(textOf(mail, 'text/plain')).toContain('expires in 10 minutes');
    expect(textOf(mail, 'text/html')).toContain(`>${code}</p>`);
    expect(textOf(mail, 'text/html')).toMatch(/^<!doctype html>/i);
    // The code goes only to the mail service: not in the tool's answer, not in the log.
    expect(JSON.stringify(req)).not.toContain(code);
    expect(s.stderr()).not.toContain(code);
    expect(s.stderr()).not.toContain(key);

    const ver = await s.client.callTool({ name: 'verify_login_code', arguments: { email, code } });
    expect(ver.isError, text(ver)).toBeFalsy();
    expect(ver.structuredContent).toMatchObject({ signedIn: true, user: { email: 'ada.lovelace@example.com', tier: 'free' } });
    const who = await s.client.callTool({ name: 'whoami', arguments: {} });
    expect(who.structuredContent).toMatchObject({ signedIn: true, user: { email: 'ada.lovelace@example.com' } });
    // Used once: the same code does not work again.
    const again = await s.client.callTool({ name: 'verify_login_code', arguments: { email, code } });
    expect(again.isError).toBe(true);
  }

  it('sends the code by SendGrid and it signs in (sqlite)', () => sendsAndSignsIn('sqlite'));
  it.skipIf(!sharedAvailable)('sends the code by SendGrid and it signs in (mysql)', () => sendsAndSignsIn('mysql'));

  const failures = [
    {
      name: '401 with a SendGrid error body',
      reply: { status: 401, body: { errors: [{ message: 'The provided authorization grant is invalid, expired, or revoked' }] } },
      expected:
        /^The mail service refused the API key \(SendGrid HTTP 401: "The provided authorization grant is invalid, expired, or revoked"\); the operator must check SENDGRID_API_KEY\.$/,
    },
    {
      name: '500',
      reply: { status: 500, body: { errors: [{ message: 'internal error' }] } },
      expected: /^The mail service is failing \(SendGrid HTTP 500\); no code was sent, try again in a few minutes\.$/,
    },
  ];

  for (const f of failures) {
    it(`a ${f.name} is a clear isError, signs nobody in, and leaves no usable code`, async () => {
      const key = apiKey();
      const s = await start('sqlite', key);
      fake.reply = f.reply;
      const email = 'bob@example.com';
      const req = await s.client.callTool({ name: 'request_login_code', arguments: { email } });
      expect(req.isError).toBe(true);
      expect(req.structuredContent).toBeUndefined();
      expect(text(req)).toMatch(f.expected);
      expect(text(req)).not.toContain(key);
      // SendGrid did receive the message (with a code) before it refused.
      const mails = fake.mails();
      expect(mails).toHaveLength(1);
      const code = codeOf(mails[0]!);
      expect(text(req)).not.toContain(code);
      expect(s.stderr()).not.toContain(key);

      // No session, no saved sign-in, and the stored code is gone.
      const who = await s.client.callTool({ name: 'whoami', arguments: {} });
      expect(who.structuredContent).toMatchObject({ signedIn: false });
      expect(existsSync(join(t!.home, 'credentials.json'))).toBe(false);
      expect(await codeRows(t!.env, email)).toEqual([]);
      const ver = await s.client.callTool({ name: 'verify_login_code', arguments: { email, code } });
      expect(ver.isError).toBe(true);
      expect(text(ver)).toMatch(/wrong, already used or expired/);
      expect(existsSync(join(t!.home, 'credentials.json'))).toBe(false);

      // The send slot was given back: once SendGrid works again, a retry goes out at once.
      fake.reply = { status: 202 };
      const retry = await s.client.callTool({ name: 'request_login_code', arguments: { email } });
      expect(retry.isError, text(retry)).toBeFalsy();
      const fresh = codeOf(fake.mails()[1]!);
      const signed = await s.client.callTool({ name: 'verify_login_code', arguments: { email, code: fresh } });
      expect(signed.structuredContent).toMatchObject({ signedIn: true, user: { email } });
    });
  }

  it('nothing listening at SENDGRID_BASE_URL is a clear isError and no code', async () => {
    const key = apiKey();
    const port = await closedPort();
    const s = await start('sqlite', key, `http://127.0.0.1:${port}`);
    const email = 'carol@example.com';
    const req = await s.client.callTool({ name: 'request_login_code', arguments: { email } });
    expect(req.isError).toBe(true);
    expect(text(req)).toBe('The mail service could not be reached (ECONNREFUSED); no code was sent, try again in a few minutes.');
    expect(await codeRows(t!.env, email)).toEqual([]);
    const who = await s.client.callTool({ name: 'whoami', arguments: {} });
    expect(who.structuredContent).toMatchObject({ signedIn: false });
    // The process lives on and answers.
    expect((await s.client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('test-connections checks the API key with GET /v3/scopes and exits 0 when it is accepted', async () => {
    const key = apiKey();
    t = await makeEnv('sqlite', { SENDGRID_API_KEY: key, SENDGRID_BASE_URL: fake.url, MAIL_FROM: FROM });
    const r = await runCli(['test-connections'], t.env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe(`ok   mail     SendGrid at ${fake.url} (from ${FROM}): the API key is accepted`);
    expect(fake.seen).toHaveLength(1);
    expect(fake.seen[0]).toMatchObject({ method: 'GET', url: '/v3/scopes' });
    expect(fake.seen[0]!.headers.authorization).toBe(`Bearer ${key}`);
    expect(fake.mails()).toEqual([]); // nothing was sent
    expect(r.stdout + r.stderr).not.toContain(key);
  });

  it('test-connections exits 1 with a sentence when SendGrid refuses the key', async () => {
    const key = apiKey();
    fake.scopesReply = { status: 401, body: { errors: [{ message: 'authorization required' }] } };
    t = await makeEnv('sqlite', { SENDGRID_API_KEY: key, SENDGRID_BASE_URL: fake.url, MAIL_FROM: FROM });
    const r = await runCli(['test-connections'], t.env);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ok {3}database SQLite /);
    expect(lines[2]).toBe(
      'FAIL mail     The mail service refused the API key (SendGrid HTTP 401: "authorization required"); the operator must check SENDGRID_API_KEY.',
    );
    expect(r.stdout + r.stderr).not.toContain(key);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
