// The target guard. blockedKind on a table of addresses; every check type with
// allowPrivate false refusing loopback, private, link-local (cloud metadata),
// CGNAT, unspecified and IPv4-mapped addresses, and names that resolve to them,
// with a sentence naming the kind, before any connection is made; each redirect
// hop guarded (file: and gopher: refused even with allowPrivate true); file: and
// gopher: refused by create_monitor and run_check; and guardedLookup handing the
// socket the very address it checked (a name resolving to a mix of public and
// private addresses is refused; DNS is asked once per connection).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type LookupFunction, connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../src/app.js';
import { runCheck } from '../src/monitors/checks.js';
import { buildDefinition, type MonitorInput } from '../src/monitors/definition.js';
import { blockedKind, checkLiteral, checkScheme, guardedLookup, TargetRefused } from '../src/monitors/guard.js';
import { makeApp, makeEnv, type TestEnv } from './helpers/env.js';
import { signInApp, type ToolCaller } from './helpers/tool-session.js';

// Names under .guard-test resolve to what this table says; everything else resolves for real.
const FAKE_DNS: Record<string, Array<{ address: string; family: number }>> = {
  'public.guard-test': [{ address: '93.184.216.34', family: 4 }],
  'mixed.guard-test': [
    { address: '93.184.216.34', family: 4 },
    { address: '10.1.2.3', family: 4 },
  ],
  'mixed6.guard-test': [
    { address: '2606:4700::1111', family: 6 },
    { address: 'fd00:ec2::254', family: 6 },
  ],
  'metadata.guard-test': [{ address: '169.254.169.254', family: 4 }],
  'loop.guard-test': [{ address: '127.0.0.1', family: 4 }],
};
const dnsCalls: string[] = [];

vi.mock('node:dns', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:dns')>();
  const lookup = (hostname: string, options: unknown, callback: (...args: unknown[]) => void) => {
    dnsCalls.push(hostname);
    const fake = FAKE_DNS[hostname];
    if (!fake) return (real.lookup as unknown as (...a: unknown[]) => void)(hostname, options, callback);
    const all = (options as { all?: boolean }).all;
    setImmediate(() => (all ? callback(null, fake) : callback(null, fake[0]!.address, fake[0]!.family)));
  };
  return { ...real, default: { ...real, lookup }, lookup };
});

const def = (input: MonitorInput) => buildDefinition({ name: 'guarded', ...input }, { intervalSeconds: 300 });
const check = (input: MonitorInput, allowPrivate = false) =>
  runCheck(def({ timeoutMs: 3000, ...input }), { allowPrivate, secret: async () => undefined });

/** Calls a lookup as a socket would and returns what it handed back. */
function lookupWith(
  fn: LookupFunction,
  host: string,
  options: { all?: boolean; family?: number } = {},
): Promise<{ err: Error | null; address: unknown; family?: number }> {
  return new Promise((resolve) => {
    (fn as unknown as (h: string, o: object, cb: (e: Error | null, a: unknown, f?: number) => void) => void)(
      host,
      options,
      (err, address, family) => resolve({ err, address, ...(family !== undefined ? { family } : {}) }),
    );
  });
}

let server: Server;
let PORT = 0;
let requests = 0;

function route(req: IncomingMessage, res: ServerResponse): void {
  requests++;
  const p = new URL(req.url ?? '/', 'http://x').pathname;
  if (p === '/to-file') res.writeHead(302, { location: 'file:///etc/passwd' }).end();
  else if (p === '/to-gopher') res.writeHead(301, { location: 'gopher://x/' }).end();
  else if (p === '/to-ftp') res.writeHead(307, { location: 'ftp://127.0.0.1/' }).end();
  else if (p === '/to-loopback') res.writeHead(302, { location: `http://127.0.0.1:${PORT}/landed` }).end();
  else res.writeHead(200).end('landed');
}

beforeAll(async () => {
  server = createServer(route);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  PORT = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('blockedKind', () => {
  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.32.0.1',
    '100.128.0.1',
    '100.63.255.255',
    '11.0.0.1',
    '2606:4700::1111',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '[2606:4700::1111]',
  ])('%s is public', (address) => {
    expect(blockedKind(address)).toBeUndefined();
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'], // the form the URL parser gives for [::ffff:127.0.0.1]
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['fc00::1', 'private'],
    ['fd00:ec2::254', 'private'], // the IPv6 cloud metadata address
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['64:ff9b::7f00:1', 'NAT64'],
    ['not-an-ip', 'not an IP address'],
  ])('%s is %s', (address, kind) => {
    expect(blockedKind(address)).toBe(kind);
  });

  it('checkLiteral refuses a private literal with a sentence, lets names through to the lookup, and allowPrivate lifts it', () => {
    expect(() => checkLiteral('10.0.0.1', false)).toThrow(
      '10.0.0.1 is a private address, which monitors may not reach; the operator can allow it with ALLOW_PRIVATE_TARGETS=true.',
    );
    expect(() => checkLiteral('[::1]', false)).toThrow(TargetRefused);
    expect(() => checkLiteral('10.0.0.1', true)).not.toThrow();
    expect(() => checkLiteral('example.com', false)).not.toThrow();
    expect(() => checkLiteral('8.8.8.8', false)).not.toThrow();
  });

  it('checkScheme allows only http and https', () => {
    expect(() => checkScheme(new URL('https://example.com/'))).not.toThrow();
    expect(() => checkScheme(new URL('http://example.com/'))).not.toThrow();
    for (const u of ['file:///etc/passwd', 'gopher://x/', 'ftp://example.com/', 'data:text/plain,hi', 'ws://example.com/']) {
      expect(() => checkScheme(new URL(u)), u).toThrow(/^Only http and https URLs can be reached, not \w+\.$/);
    }
  });
});

describe('checks with allowPrivate false', () => {
  const cases: Array<[string, string, string]> = [
    ['127.0.0.1', '127.0.0.1', 'loopback'],
    ['[::1]', '::1', 'loopback'],
    ['10.0.0.1', '10.0.0.1', 'private'],
    ['169.254.169.254', '169.254.169.254', 'link-local'],
    ['100.64.0.1', '100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', '0.0.0.0', 'unspecified'],
    ['[::ffff:127.0.0.1]', '127.0.0.1', 'loopback'],
    ['localhost', 'localhost (', 'loopback'],
    ['metadata.guard-test', 'metadata.guard-test (169.254.169.254)', 'link-local'],
    ['mixed.guard-test', 'mixed.guard-test (10.1.2.3)', 'private'],
  ];

  it.each(cases)('%s is refused by http, tcp and tls with a sentence naming it %s', async (host, shown, kind) => {
    const port = host.includes('guard-test') ? 80 : PORT;
    const before = requests;
    for (const input of [
      { type: 'http', target: `http://${host}:${port}/` },
      { type: 'tcp', target: `${host}:${port}` },
      { type: 'tls', target: `${host}:${port}` },
    ] as MonitorInput[]) {
      const r = await check(input);
      expect(r.status, `${input.type} ${host}`).toBe('down');
      expect(r.error, `${input.type} ${host}`).toContain(
        `is ${/^[aeiou]/i.test(kind) ? 'an' : 'a'} ${kind} address, which monitors may not reach`,
      );
      expect(r.error).toContain('ALLOW_PRIVATE_TARGETS=true');
      expect(r.error).toMatch(/\.$/);
      if (host !== '[::ffff:127.0.0.1]' && host !== '[::1]') expect(r.error!.startsWith(shown), r.error!).toBe(true);
      expect(r.latencyMs).toBeLessThan(2000);
    }
    expect(requests, 'nothing reached the local server').toBe(before);
  });

  it('the same local server is reached when allowPrivate is true (the refusals above are the guard, not the network)', async () => {
    const before = requests;
    expect(await check({ type: 'http', target: `http://localhost:${PORT}/` }, true)).toMatchObject({ status: 'up' });
    expect(await check({ type: 'http', target: `http://127.0.0.1:${PORT}/` }, true)).toMatchObject({ status: 'up' });
    expect(await check({ type: 'tcp', target: `localhost:${PORT}` }, true)).toMatchObject({ status: 'up' });
    expect(requests).toBe(before + 2);
  });

  it('a public-looking URL is refused at the first hop, before its redirect to loopback is ever followed', async () => {
    const before = requests;
    const r = await check({ type: 'http', target: `http://localhost:${PORT}/to-loopback` });
    expect(r.error).toMatch(/^localhost \((127\.0\.0\.1|::1)\) is a loopback address/);
    expect(requests).toBe(before);
  });

  it('every redirect hop is guarded: file:, gopher: and ftp: locations are refused even with allowPrivate true', async () => {
    for (const [path, scheme] of [
      ['/to-file', 'file'],
      ['/to-gopher', 'gopher'],
      ['/to-ftp', 'ftp'],
    ]) {
      const r = await check({ type: 'http', target: `http://127.0.0.1:${PORT}${path}` }, true);
      expect(r, path).toMatchObject({ status: 'down', statusCode: null });
      expect(r.error).toBe(`Only http and https URLs can be reached, not ${scheme}.`);
    }
    // With redirects off, the 302 itself is the answer and nothing is followed.
    const off = await check({ type: 'http', target: `http://127.0.0.1:${PORT}/to-file`, maxRedirects: 0 }, true);
    expect(off).toMatchObject({ status: 'up', statusCode: 302 });
  });
});

describe('guardedLookup hands the socket the address it checked', () => {
  it('localhost: a loopback address when allowed, a refusal when not', async () => {
    const allowed = await lookupWith(guardedLookup(true), 'localhost');
    expect(allowed.err).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(allowed.address);
    const all = await lookupWith(guardedLookup(true), 'localhost', { all: true });
    expect(Array.isArray(all.address)).toBe(true);
    for (const a of all.address as { address: string }[]) expect(blockedKind(a.address)).toBe('loopback');

    const refused = await lookupWith(guardedLookup(false), 'localhost');
    expect(refused.err).toBeInstanceOf(TargetRefused);
    expect(refused.err!.message).toMatch(/^localhost \((127\.0\.0\.1|::1)\) is a loopback address/);
    const refusedAll = await lookupWith(guardedLookup(false), 'localhost', { all: true });
    expect(refusedAll.err).toBeInstanceOf(TargetRefused);
  });

  it('a name is refused if any of its addresses is private, in either family; a public one comes back as resolved', async () => {
    for (const host of ['mixed.guard-test', 'mixed6.guard-test', 'metadata.guard-test', 'loop.guard-test']) {
      const r = await lookupWith(guardedLookup(false), host, { all: true });
      expect(r.err, host).toBeInstanceOf(TargetRefused);
      const one = await lookupWith(guardedLookup(false), host, { family: 4 });
      expect(one.err, host).toBeInstanceOf(TargetRefused);
    }
    expect(await lookupWith(guardedLookup(false), 'public.guard-test')).toEqual({
      err: null,
      address: '93.184.216.34',
      family: 4,
    });
    expect((await lookupWith(guardedLookup(false), 'public.guard-test', { all: true })).address).toEqual([
      { address: '93.184.216.34', family: 4 },
    ]);
    // IP literals are checked without asking DNS.
    dnsCalls.length = 0;
    expect((await lookupWith(guardedLookup(false), '10.0.0.1')).err).toBeInstanceOf(TargetRefused);
    expect(await lookupWith(guardedLookup(false), '8.8.8.8')).toEqual({ err: null, address: '8.8.8.8', family: 4 });
    expect(dnsCalls).toEqual([]);
  });

  it('net.connect with lookup: guardedLookup(false) to localhost fails with the refusal and never connects', async () => {
    let accepted = 0;
    const listener = createNetServer((s) => {
      accepted++;
      s.destroy();
    });
    await new Promise<void>((r) => listener.listen(0, r)); // every address, so both 127.0.0.1 and ::1 would connect
    const port = (listener.address() as AddressInfo).port;
    try {
      const outcome = (lookup: LookupFunction) =>
        new Promise<{ error?: Error; remote?: string; looked?: string }>((resolve) => {
          let looked: string | undefined;
          const recording: LookupFunction = (h, o, cb) =>
            lookup(h, o, ((err: Error | null, address: unknown, family?: number) => {
              looked = typeof address === 'string' ? address : (address as { address: string }[])?.[0]?.address;
              (cb as (e: Error | null, a: unknown, f?: number) => void)(err, address, family);
            }) as never);
          const socket = netConnect({ host: 'localhost', port, lookup: recording });
          socket.once('connect', () => {
            const remote = socket.remoteAddress;
            socket.destroy();
            resolve({ ...(remote ? { remote } : {}), ...(looked ? { looked } : {}) });
          });
          socket.once('error', (error) => resolve({ error }));
        });

      const refused = await outcome(guardedLookup(false));
      expect(refused.error).toBeInstanceOf(TargetRefused);
      expect(refused.error!.message).toContain('is a loopback address, which monitors may not reach');
      await new Promise((r) => setTimeout(r, 50));
      expect(accepted).toBe(0);

      dnsCalls.length = 0;
      const ok = await outcome(guardedLookup(true));
      expect(ok.error).toBeUndefined();
      // The socket connected to exactly the address the guard looked at, after one lookup.
      expect(ok.remote).toBe(ok.looked);
      expect(dnsCalls).toEqual(['localhost']);
    } finally {
      await new Promise((r) => listener.close(r));
    }
  });
});

describe('file: and gopher: through the tools', () => {
  let t: TestEnv;
  let app: App;
  let me: ToolCaller;

  beforeAll(async () => {
    t = await makeEnv('sqlite', { MONITORS_MCP_WORKER: 'off' });
    app = makeApp(t.env); // ALLOW_PRIVATE_TARGETS is off by default
    me = await signInApp(app, 'guard@example.com');
  });

  afterAll(async () => {
    await app?.close();
    await t?.cleanup();
  });

  it('create_monitor and run_check refuse file: and gopher: URLs with a sentence', async () => {
    for (const [target, scheme] of [
      ['file:///etc/passwd', 'file'],
      ['gopher://example.com/', 'gopher'],
    ]) {
      const sentence = `Only http and https URLs can be monitored, not ${scheme}.`;
      expect(await me.err('create_monitor', { name: `x ${scheme}`, type: 'http', target })).toBe(sentence);
      expect(await me.err('run_check', { type: 'http', target })).toBe(sentence);
    }
    expect((await me.ok<{ monitors: unknown[] }>('list_monitors', {})).monitors).toEqual([]);
  });

  it('run_check with the default configuration refuses loopback, and says how to allow it', async () => {
    const before = requests;
    const out = await me.ok<{ result: { status: string; error: string }; stored: boolean }>('run_check', {
      type: 'http',
      target: `http://127.0.0.1:${PORT}/`,
    });
    expect(out.stored).toBe(false);
    expect(out.result.status).toBe('down');
    expect(out.result.error).toBe(
      '127.0.0.1 is a loopback address, which monitors may not reach; the operator can allow it with ALLOW_PRIVATE_TARGETS=true.',
    );
    expect(requests).toBe(before);
  });
});
