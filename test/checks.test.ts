// The four checks, in process, against servers this file starts on 127.0.0.1
// and [::1] (allowPrivate true): http status, redirects (and a loop), 303
// turning POST into GET, gzip/deflate/br, the 1 MB cap, expected status,
// keywords, jsonPath values (never 0 for a failure), assertions of every
// source and op, the one deadline at each stage a server can stall, tcp
// (open, refused, IPv6), tls with certificates made here by openssl (days
// left, self-signed, wrong name, the SNI name sent), and a dns name that does
// not exist. Then evaluateAssertion and readJsonPath on their own.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, createServer as createTlsServer } from 'node:tls';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateAssertion, type Observed, readJsonPath } from '../src/monitors/assertions.js';
import { type CheckResult, MAX_BODY_BYTES, runCheck } from '../src/monitors/checks.js';
import { buildDefinition, type MonitorInput } from '../src/monitors/definition.js';

const def = (input: MonitorInput) => buildDefinition({ name: 'test', ...input }, { intervalSeconds: 300 });

async function run(input: MonitorInput, secrets: Record<string, string> = {}): Promise<CheckResult & { ms: number }> {
  const started = performance.now();
  const r = await runCheck(def(input), { allowPrivate: true, secret: async (n) => secrets[n] });
  return { ...r, ms: performance.now() - started };
}

/** A result that is down with a sentence (text ending in a full stop, no stray "undefined" or "[object"). */
function expectDownSentence(r: CheckResult): string {
  expect(r.status, JSON.stringify(r)).toBe('down');
  expect(r.error, 'a down result says why').toMatch(/^\S[\s\S]{8,}\.$/);
  expect(r.error).not.toMatch(/undefined|\[object|\.\.$/);
  return r.error!;
}

function listen(server: Server | ReturnType<typeof createNetServer>, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

const JSON_DOC = {
  queue: { depth: '42', size: 17.5 },
  items: [{ id: 7 }, { id: 8 }],
  name: 'svc',
  word: 'abc',
  nothing: null,
  flag: true,
  'dotted.key': 3,
};

const hits: Record<string, number> = {};
/** Sockets the stalling routes hold open, closed at the end. */
const held = new Set<Socket>();

function route(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const p = url.pathname;
  hits[p] = (hits[p] ?? 0) + 1;
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    if (p === '/ok') {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-custom': 'hello-123', 'x-number': '42' });
      res.end(`hello world from ${req.socket.localAddress}`);
    } else if (p === '/hop1') {
      res.writeHead(302, { location: '/hop2' }).end();
    } else if (p === '/hop2') {
      res.writeHead(301, { location: `http://${req.headers.host}/final` }).end();
    } else if (p === '/final') {
      res.writeHead(200).end('final page reached');
    } else if (p === '/loop') {
      res.writeHead(302, { location: '/loop' }).end();
    } else if (p === '/see-other') {
      res.writeHead(303, { location: '/echo-method' }).end();
    } else if (p === '/temporary') {
      res.writeHead(307, { location: '/echo-method' }).end();
    } else if (p === '/echo-method') {
      res.writeHead(200).end(`method=${req.method} body=${JSON.stringify(body)}`);
    } else if (p === '/gzip' || p === '/deflate' || p === '/br') {
      const text = Buffer.from(`${'padding '.repeat(500)} the keyword is ZEBRA-${p.slice(1)}`);
      const enc = p.slice(1);
      const data = enc === 'gzip' ? gzipSync(text) : enc === 'deflate' ? deflateSync(text) : brotliCompressSync(text);
      res.writeHead(200, { 'content-encoding': enc }).end(data);
    } else if (p === '/big') {
      // Over 1 MB, then the keyword, then the connection stays open: only a cap ends the read quickly.
      held.add(res.socket!);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(Buffer.alloc(MAX_BODY_BYTES + 1024, 'a'));
      res.write('NEEDLE-AFTER-1MB');
    } else if (p === '/gzip-bomb') {
      // 64 MB of zeros in ~64 KB of gzip, the keyword at the end.
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(gzipSync(Buffer.concat([Buffer.alloc(64 * 1024 * 1024), Buffer.from('NEEDLE-AFTER-BOMB')])));
    } else if (p.startsWith('/status/')) {
      res.writeHead(Number(p.slice(8))).end('status page');
    } else if (p === '/json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(JSON_DOC));
    } else if (p === '/notjson') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>{"queue": 1}</html>');
    } else if (p === '/headers-then-stall') {
      held.add(res.socket!);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.flushHeaders();
    } else if (p === '/mid-body-stall') {
      held.add(res.socket!);
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      res.write('the first part of the body ');
    } else if (p === '/echo') {
      const auth = String(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json', 'x-echo': auth }).end(JSON.stringify({ auth, n: auth.length }));
    } else if (p === '/to-file') {
      res.writeHead(302, { location: 'file:///etc/passwd' }).end();
    } else {
      res.writeHead(404).end('not found');
    }
  });
}

let v4: Server;
let v6: Server;
let silent: ReturnType<typeof createNetServer>;
let P4 = 0;
let P6 = 0;
let SILENT = 0;
const base4 = () => `http://127.0.0.1:${P4}`;

beforeAll(async () => {
  v4 = createHttpServer(route);
  v6 = createHttpServer(route);
  // Accepts TCP connections and never says a word (for http and tls alike).
  silent = createNetServer((s) => {
    held.add(s);
    s.on('error', () => undefined);
  });
  P4 = await listen(v4, '127.0.0.1');
  P6 = await listen(v6, '::1');
  SILENT = await listen(silent, '127.0.0.1');
});

afterAll(async () => {
  for (const s of held) s.destroy();
  for (const s of [v4, v6, silent]) {
    (s as Server).closeAllConnections?.();
    await new Promise((r) => s.close(() => r(undefined)));
  }
});

describe('http', () => {
  it('200 is up, with the status code and a latency', async () => {
    const r = await run({ type: 'http', target: `${base4()}/ok` });
    expect(r).toMatchObject({ status: 'up', statusCode: 200, value: null, error: null });
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(r.latencyMs).toBeLessThan(5000);
    expect(Number.isInteger(r.latencyMs)).toBe(true);
    expect(Math.abs(r.checkedAt - Date.now())).toBeLessThan(10_000);
  });

  it('follows two redirects (relative and absolute) to the final page', async () => {
    const before = hits['/final'] ?? 0;
    const r = await run({ type: 'http', target: `${base4()}/hop1`, keyword: 'final page reached', expectedStatus: '200' });
    expect(r).toMatchObject({ status: 'up', statusCode: 200, error: null });
    expect(hits['/final']).toBe(before + 1);
    // Two redirects allowed is enough; one is not (the 301 is then the answer, which is not 200).
    expect((await run({ type: 'http', target: `${base4()}/hop1`, maxRedirects: 2, expectedStatus: '200' })).status).toBe('up');
    const short = await run({ type: 'http', target: `${base4()}/hop1`, maxRedirects: 1, expectedStatus: '200' });
    expect(short.status).toBe('down');
  });

  it('a redirect loop stops after maxRedirects and is down with a sentence', async () => {
    const before = hits['/loop'] ?? 0;
    const r = await run({ type: 'http', target: `${base4()}/loop` });
    const error = expectDownSentence(r);
    expect(error).toMatch(/redirect/i);
    expect(error).toContain('5');
    expect(hits['/loop']! - before).toBe(6); // the first request and five redirects, then it gives up
    const two = await run({ type: 'http', target: `${base4()}/loop`, maxRedirects: 2 });
    expect(expectDownSentence(two)).toMatch(/redirect/i);
    expect(hits['/loop']! - before).toBe(9);
    // maxRedirects 0 means "do not follow": the redirect itself is the answer.
    const zero = await run({ type: 'http', target: `${base4()}/loop`, maxRedirects: 0, expectedStatus: '302' });
    expect(zero).toMatchObject({ status: 'up', statusCode: 302 });
  });

  it('303 turns a POST into a GET without a body; 307 keeps the POST and its body', async () => {
    const seeOther = await run({
      type: 'http',
      target: `${base4()}/see-other`,
      method: 'POST',
      body: 'payload=1',
      keyword: 'method=GET body=""',
    });
    expect(seeOther, JSON.stringify(seeOther)).toMatchObject({ status: 'up', statusCode: 200 });
    const temporary = await run({
      type: 'http',
      target: `${base4()}/temporary`,
      method: 'POST',
      body: 'payload=1',
      keyword: 'method=POST body="payload=1"',
    });
    expect(temporary, JSON.stringify(temporary)).toMatchObject({ status: 'up', statusCode: 200 });
  });

  it.each(['gzip', 'deflate', 'br'])('decodes a %s body (the keyword inside is found)', async (enc) => {
    const r = await run({ type: 'http', target: `${base4()}/${enc}`, keyword: `ZEBRA-${enc}` });
    expect(r, JSON.stringify(r)).toMatchObject({ status: 'up', error: null });
    // And the compressed bytes are not what was searched: a word that is absent is reported absent.
    const absent = await run({ type: 'http', target: `${base4()}/${enc}`, keyword: `ZEBRA-${enc}`, keywordAbsent: true });
    expect(expectDownSentence(absent)).toContain('must be absent');
  });

  it('reads at most 1 MB: a keyword after 1 MB is not found, and the check ends without waiting for the rest', async () => {
    const r = await run({ type: 'http', target: `${base4()}/big`, keyword: 'NEEDLE-AFTER-1MB', timeoutMs: 5000 });
    const error = expectDownSentence(r);
    expect(error).toContain('does not contain "NEEDLE-AFTER-1MB"');
    expect(error).not.toMatch(/deadline/);
    expect(r.ms).toBeLessThan(2000);
    // The cap counts decoded bytes: a small gzip that inflates to 64 MB is cut at 1 MB too.
    const bomb = await run({ type: 'http', target: `${base4()}/gzip-bomb`, keyword: 'NEEDLE-AFTER-BOMB', timeoutMs: 5000 });
    expect(expectDownSentence(bomb)).toContain('does not contain');
    expect(bomb.ms).toBeLessThan(2000);
  });

  it('expectedStatus: the default 200-399, single codes, lists and ranges', async () => {
    const at = (code: number, expectedStatus?: string) =>
      run({ type: 'http', target: `${base4()}/status/${code}`, ...(expectedStatus ? { expectedStatus } : {}) });
    expect((await at(204)).status).toBe('up');
    expect((await at(399)).status).toBe('up');
    const e404 = await at(404);
    expect(e404.statusCode).toBe(404);
    expect(expectDownSentence(e404)).toBe('HTTP 404 is not an expected status (200-399).');
    expect(expectDownSentence(await at(500))).toContain('HTTP 500');
    expect((await at(404, '404')).status).toBe('up');
    expect((await at(418, '200,410-420')).status).toBe('up');
    expect((await at(421, '200,410-420')).status).toBe('down');
    expect((await at(200, '201-299')).status).toBe('down');
    expect(() => def({ type: 'http', target: base4(), expectedStatus: '2xx' })).toThrow(/expectedStatus/);
  });

  it('keyword present and absent', async () => {
    const t = `${base4()}/ok`;
    expect((await run({ type: 'http', target: t, keyword: 'hello world' })).status).toBe('up');
    expect(expectDownSentence(await run({ type: 'http', target: t, keyword: 'goodbye' }))).toBe(
      'The body does not contain "goodbye".',
    );
    expect((await run({ type: 'http', target: t, keyword: 'goodbye', keywordAbsent: true })).status).toBe('up');
    expect(expectDownSentence(await run({ type: 'http', target: t, keyword: 'hello', keywordAbsent: true }))).toBe(
      'The body contains "hello", which must be absent.',
    );
  });

  it('jsonPath records the number (a numeric string counts); a failure says which and is never 0', async () => {
    const t = `${base4()}/json`;
    expect(await run({ type: 'http', target: t, jsonPath: 'queue.depth' })).toMatchObject({ status: 'up', value: 42 });
    expect(await run({ type: 'http', target: t, jsonPath: '$.queue.size' })).toMatchObject({ status: 'up', value: 17.5 });
    expect(await run({ type: 'http', target: t, jsonPath: 'items[1].id' })).toMatchObject({ status: 'up', value: 8 });
    expect(await run({ type: 'http', target: t, jsonPath: '["dotted.key"]' })).toMatchObject({ status: 'up', value: 3 });

    const missing = await run({ type: 'http', target: t, jsonPath: 'queue.length' });
    expect(missing.value).toBeNull();
    expect(expectDownSentence(missing)).toBe('jsonPath queue.length is not in the JSON.');
    const outOfRange = await run({ type: 'http', target: t, jsonPath: 'items[2].id' });
    expect(outOfRange.value).toBeNull();
    expect(expectDownSentence(outOfRange)).toContain('is not in the JSON');

    const notJson = await run({ type: 'http', target: `${base4()}/notjson`, jsonPath: 'queue' });
    expect(notJson.value).toBeNull();
    expect(expectDownSentence(notJson)).toBe('jsonPath queue: the body is not JSON.');

    for (const [path, shown] of [
      ['word', '"abc"'],
      ['nothing', 'null'],
      ['flag', 'true'],
      ['queue', '{"depth":"42","size":17.5}'],
    ] as const) {
      const r = await run({ type: 'http', target: t, jsonPath: path });
      expect(r.value, path).toBeNull();
      expect(expectDownSentence(r)).toBe(`jsonPath ${path} is ${shown}, not a number.`);
    }
  });

  it('assertions on status, latencyMs, body, json and header, with every op, through a real response', async () => {
    const t = `${base4()}/json`;
    const passing = await run({
      type: 'http',
      target: t,
      assertions: [
        { source: 'status', op: 'eq', value: 200 },
        { source: 'status', op: 'ne', value: 500 },
        { source: 'status', op: 'lt', value: 300 },
        { source: 'status', op: 'le', value: 200 },
        { source: 'status', op: 'ge', value: 200 },
        { source: 'latencyMs', op: 'lt', value: 10_000 },
        { source: 'latencyMs', op: 'ge', value: 0 },
        { source: 'body', op: 'contains', value: '"name":"svc"' },
        { source: 'body', op: 'notContains', value: 'error' },
        { source: 'body', op: 'matches', value: '^\\{"queue"' },
        { source: 'json', path: 'queue.depth', op: 'eq', value: 42 }, // "42" compared as a number
        { source: 'json', path: 'queue.depth', op: 'gt', value: 9 }, // typed: "42" > 9, though "42" < "9" as text
        { source: 'json', path: 'queue.depth', op: 'eq', value: '42' },
        { source: 'json', path: 'name', op: 'eq', value: 'svc' },
        { source: 'json', path: 'name', op: 'ne', value: 'other' },
        { source: 'json', path: 'flag', op: 'eq', value: true },
        { source: 'json', path: 'items', op: 'exists' },
        { source: 'json', path: 'nothing', op: 'exists' },
        { source: 'json', path: 'items[0].id', op: 'le', value: 7 },
        { source: 'json', path: 'word', op: 'matches', value: '^a.c$' },
        { source: 'header', path: 'Content-Type', op: 'contains', value: 'application/json' },
        { source: 'header', path: 'content-type', op: 'exists' },
      ],
    });
    expect(passing, JSON.stringify(passing)).toMatchObject({ status: 'up', error: null });

    const headers = await run({
      type: 'http',
      target: `${base4()}/ok`,
      assertions: [
        { source: 'header', path: 'X-Custom', op: 'eq', value: 'hello-123' },
        { source: 'header', path: 'x-custom', op: 'matches', value: '^hello-\\d+$' },
        { source: 'header', path: 'X-Number', op: 'gt', value: 41 },
        { source: 'header', path: 'X-Custom', op: 'notContains', value: 'bye' },
      ],
    });
    expect(headers, JSON.stringify(headers)).toMatchObject({ status: 'up', error: null });

    const failing = await run({
      type: 'http',
      target: t,
      assertions: [
        { source: 'json', path: 'queue.missing', op: 'lt', value: 5 },
        { source: 'header', path: 'X-Absent', op: 'notContains', value: 'x' },
        { source: 'json', path: 'word', op: 'gt', value: 1 },
      ],
    });
    const error = expectDownSentence(failing);
    expect(error).toContain('assertion 1 (json queue.missing lt 5) failed: queue.missing is not in the JSON.');
    expect(error).toContain('assertion 2 (header X-Absent notContains "x") failed: the response has no X-Absent header.');
    expect(error).toContain('assertion 3 (json word gt 1) failed: "abc" is not a number.');

    const notJson = await run({
      type: 'http',
      target: `${base4()}/notjson`,
      assertions: [{ source: 'json', path: 'queue', op: 'ne', value: 0 }],
    });
    expect(expectDownSentence(notJson)).toContain('the body is not JSON');
  });
});

describe('secret values in results', () => {
  it('a long secret, or one with quotes and backslashes, is not shown in part or JSON-escaped in an error', async () => {
    for (const value of [`long-${'k'.repeat(150)}-END`, 'q"uo\\te-secret-value', `${'7'.repeat(12)}`]) {
      const r = await run(
        {
          type: 'http',
          target: `${base4()}/echo`,
          headers: { Authorization: '{{secrets.TOKEN}}' },
          assertions: [
            { source: 'json', path: 'auth', op: 'eq', value: 'wrong' },
            { source: 'header', path: 'X-Echo', op: 'eq', value: 'wrong' },
            { source: 'body', op: 'matches', value: '^nope' },
          ],
        },
        { TOKEN: value },
      );
      const error = expectDownSentence(r);
      expect(error).toContain('[secret]');
      for (const part of [value, JSON.stringify(value).slice(1, -1), value.slice(0, 12), value.slice(-12)]) {
        expect(error.includes(part), `${part} in ${error}`).toBe(false);
      }
    }
    // A numeric secret echoed back is not recorded as the value either.
    const numeric = await run(
      { type: 'http', target: `${base4()}/echo`, headers: { Authorization: '{{secrets.PIN}}' }, jsonPath: 'auth' },
      { PIN: '987654321' },
    );
    expect(numeric.value).toBeNull();
    expect(numeric.error).not.toContain('987654321');
  });
});

describe('the one deadline', () => {
  const TIMEOUT = 1000;
  const SLACK = 350;

  async function stalled(target: string, type: 'http' | 'tls' = 'http') {
    const r = await run({ type, target, timeoutMs: TIMEOUT });
    expect(r.ms, `took ${Math.round(r.ms)} ms`).toBeLessThan(TIMEOUT + SLACK);
    expect(r.ms).toBeGreaterThanOrEqual(TIMEOUT - 50);
    expect(expectDownSentence(r)).toBe(`No answer within the ${TIMEOUT} ms deadline.`);
    expect(r.statusCode).toBeNull();
  }

  it('a server that accepts the connection and never answers', async () => {
    await stalled(`http://127.0.0.1:${SILENT}/`);
  });

  it('a server that sends headers and then no body', async () => {
    await stalled(`${base4()}/headers-then-stall`);
  });

  it('a server that stops in the middle of the body', async () => {
    await stalled(`${base4()}/mid-body-stall`);
  });

  it('a TLS server that never completes the handshake', async () => {
    await stalled(`127.0.0.1:${SILENT}`, 'tls');
  });
});

describe('tcp and IPv6', () => {
  it('a listener is up; a closed port is down, refused', async () => {
    const up = await run({ type: 'tcp', target: `127.0.0.1:${P4}` });
    expect(up).toMatchObject({ status: 'up', error: null, statusCode: null, value: null });
    const closed = createNetServer();
    const port = await listen(closed, '127.0.0.1');
    await new Promise((r) => closed.close(r));
    const down = await run({ type: 'tcp', target: `127.0.0.1:${port}` });
    expect(expectDownSentence(down)).toBe('The connection was refused (nothing listening there).');
    expect(down.ms).toBeLessThan(1000);
  });

  it('http and tcp over [::1]', async () => {
    const http = await run({ type: 'http', target: `http://[::1]:${P6}/ok`, keyword: 'hello world from ::1' });
    expect(http, JSON.stringify(http)).toMatchObject({ status: 'up', statusCode: 200 });
    expect((await run({ type: 'tcp', target: `[::1]:${P6}` })).status).toBe('up');
    // The IPv4 server is not on ::1 (and the IPv6 one not on 127.0.0.1): the address really is IPv6.
    expect((await run({ type: 'tcp', target: `[::1]:${P4}` })).status).toBe('down');
    expect((await run({ type: 'tcp', target: `127.0.0.1:${P6}` })).status).toBe('down');
  });
});

describe('tls', () => {
  let dir: string;
  const servers: Server[] = [];
  const tlsServers: ReturnType<typeof createTlsServer>[] = [];

  function makeCert(name: string, days: number): { key: Buffer; cert: Buffer } {
    const key = join(dir, `${name}-${days}.key`);
    const cert = join(dir, `${name}-${days}.crt`);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        String(days),
        '-subj',
        `/CN=${name}`,
        '-addext',
        `subjectAltName=DNS:${name}`,
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore', timeout: 20_000 },
    );
    return { key: readFileSync(key), cert: readFileSync(cert) };
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'monitors-tls-'));
  });

  afterAll(async () => {
    for (const s of [...servers, ...tlsServers]) {
      (s as Server).closeAllConnections?.();
      await new Promise((r) => s.close(() => r(undefined)));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('days left, self-signed (not trusted), and the SNI name sent is the requested host', async () => {
    const DAYS = 30;
    const pair = makeCert('localhost', DAYS);
    const sniNames: string[] = [];
    const server = createTlsServer({
      ...pair,
      SNICallback: (servername, cb) => {
        sniNames.push(servername);
        cb(null, createSecureContext(pair));
      },
    });
    tlsServers.push(server);
    const port = await listen(server as unknown as Server, '127.0.0.1');

    const r = await run({ type: 'tls', target: `localhost:${port}` });
    expect([DAYS - 1, DAYS]).toContain(r.value);
    const error = expectDownSentence(r);
    expect(error).toMatch(/self-signed/);
    expect(error).toMatch(/not trusted/);
    expect(sniNames).toEqual(['localhost']);

    // certDaysLeft assertions see the same number.
    const a = await run({
      type: 'tls',
      target: `localhost:${port}`,
      assertions: [
        { source: 'certDaysLeft', op: 'ge', value: DAYS - 1 },
        { source: 'certDaysLeft', op: 'lt', value: 7 },
      ],
    });
    expect(a.error).toMatch(/assertion 2 \(certDaysLeft lt 7\) failed: got (29|30)\./);
    expect(a.error).not.toContain('assertion 1');
    // https://host:port/path is accepted as a tls target too, and an IP literal sends no SNI name.
    expect((await run({ type: 'tls', target: `https://localhost:${port}/x` })).value).toBe(r.value);
    sniNames.length = 0;
    await run({ type: 'tls', target: `127.0.0.1:${port}` });
    expect(sniNames).toEqual([]);
  });

  it('a certificate for another name reports the mismatch', async () => {
    const pair = makeCert('other.example', 90);
    const server = createTlsServer(pair, (s) => s.end());
    tlsServers.push(server);
    const port = await listen(server as unknown as Server, '127.0.0.1');
    const r = await run({ type: 'tls', target: `localhost:${port}` });
    expect([89, 90]).toContain(r.value);
    const error = expectDownSentence(r);
    expect(error).toContain('not valid for localhost');
    expect(error).toContain('other.example');
  });

  it('an https check against a self-signed certificate is down and says why', async () => {
    const pair = makeCert('localhost', 10);
    const server = createHttpsServer(pair, (_req, res) => res.end('secret page'));
    servers.push(server);
    const port = await listen(server, '127.0.0.1');
    const r = await run({ type: 'http', target: `https://localhost:${port}/` });
    expect(expectDownSentence(r)).toMatch(/self-signed/);
  });
});

describe('dns', () => {
  it('a name that does not exist is down with a sentence, whatever the resolver does', async () => {
    const r = await run({ type: 'dns', target: 'nonexistent.invalid', timeoutMs: 2000 });
    const error = expectDownSentence(r);
    expect(r.value).toBeNull();
    expect(r.ms).toBeLessThan(2000 + 350);
    // Either the resolver answered (not found) or it could not be reached (a deadline or resolver sentence).
    expect(error).toMatch(/nonexistent\.invalid has no A record|deadline|DNS|resolve|check failed/i);
    expect(error).not.toMatch(/\[object|undefined/);
  });

  it('an expected value that no record has is down (on localhost, from the hosts file or not at all)', async () => {
    const r = await run({ type: 'dns', target: 'nonexistent.invalid', expectedValue: '192.0.2.1', timeoutMs: 1000 });
    expectDownSentence(r);
  });
});

describe('evaluateAssertion', () => {
  const seen: Observed = {
    statusCode: 200,
    latencyMs: 120,
    headers: { 'content-type': 'application/json', 'x-count': '0x10', 'x-num': ' 1e3 ' },
    body: JSON.stringify({ n: '42', z: 0, s: 'abc', e: '', nul: null, arr: [1, 'two', 3], obj: { a: 1 }, t: true }),
  };
  const ok = (a: Parameters<typeof evaluateAssertion>[0], s: Observed = seen) => evaluateAssertion(a, s);
  const msg = (a: Parameters<typeof evaluateAssertion>[0], s: Observed = seen) => {
    const v = evaluateAssertion(a, s);
    expect(v.ok, JSON.stringify(a)).toBe(false);
    return (v as { message: string }).message;
  };

  it('compares numbers as numbers, numeric strings included', () => {
    expect(ok({ source: 'json', path: 'n', op: 'gt', value: 9 })).toEqual({ ok: true });
    expect(ok({ source: 'json', path: 'n', op: 'eq', value: 42 })).toEqual({ ok: true });
    expect(ok({ source: 'json', path: 'n', op: 'eq', value: 42.0 })).toEqual({ ok: true });
    expect(ok({ source: 'json', path: 'n', op: 'ne', value: 41 })).toEqual({ ok: true });
    expect(ok({ source: 'json', path: 'z', op: 'eq', value: 0 })).toEqual({ ok: true });
    expect(ok({ source: 'header', path: 'x-num', op: 'eq', value: 1000 })).toEqual({ ok: true });
    expect(ok({ source: 'status', op: 'ge', value: 200 })).toEqual({ ok: true });
    expect(msg({ source: 'status', op: 'gt', value: 200 })).toBe('assertion 1 (status gt 200) failed: got 200');
    expect(msg({ source: 'latencyMs', op: 'lt', value: 100 })).toContain('got 120');
  });

  it('a missing path, a non-number or a body that is not JSON fails and never reads as 0', () => {
    // Each of these would pass if the missing value were read as 0.
    expect(msg({ source: 'json', path: 'missing', op: 'lt', value: 5 })).toContain('missing is not in the JSON');
    expect(msg({ source: 'json', path: 'missing', op: 'eq', value: 0 })).toContain('is not in the JSON');
    expect(msg({ source: 'json', path: 'missing', op: 'ne', value: 7 })).toContain('is not in the JSON');
    expect(msg({ source: 'json', path: 'missing', op: 'notContains', value: 'x' })).toContain('is not in the JSON');
    expect(msg({ source: 'json', path: 'e', op: 'le', value: 0 })).toBe('assertion 1 (json e le 0) failed: "" is not a number');
    expect(msg({ source: 'json', path: 'nul', op: 'eq', value: 0 })).toContain('null is not a number');
    expect(msg({ source: 'json', path: 't', op: 'eq', value: 1 })).toContain('true is not a number');
    expect(msg({ source: 'json', path: 's', op: 'lt', value: 5 })).toContain('"abc" is not a number');
    expect(msg({ source: 'header', path: 'X-Count', op: 'eq', value: 16 })).toContain('"0x10" is not a number');
    expect(msg({ source: 'json', path: 'n', op: 'lt', value: 5 }, { latencyMs: 1, body: 'not json' })).toContain(
      'the body is not JSON',
    );
    expect(msg({ source: 'json', path: 'n', op: 'exists' }, { latencyMs: 1 })).toContain('there is no body');
    expect(msg({ source: 'body', op: 'notContains', value: 'x' }, { latencyMs: 1 })).toContain('no body was observed');
    expect(msg({ source: 'certDaysLeft', op: 'gt', value: 0 }, { latencyMs: 1 })).toContain('no certDaysLeft was observed');
    expect(msg({ source: 'status', op: 'ne', value: 500 }, { latencyMs: 1 })).toContain('no status was observed');
  });

  it('exists, contains, notContains, matches and eq on text, arrays and objects', () => {
    expect(ok({ source: 'json', path: 'nul', op: 'exists' })).toEqual({ ok: true });
    expect(msg({ source: 'json', path: 'gone', op: 'exists' })).toContain('gone is not in the JSON');
    expect(ok({ source: 'header', path: 'Content-Type', op: 'exists' })).toEqual({ ok: true });
    expect(msg({ source: 'header', path: 'X-Gone', op: 'exists' })).toContain('it is missing');
    expect(msg({ source: 'header', path: 'X-Gone', op: 'eq', value: 'a' })).toContain('the response has no X-Gone header');
    expect(ok({ source: 'json', path: 'arr', op: 'contains', value: 'two' })).toEqual({ ok: true });
    expect(ok({ source: 'json', path: 'arr', op: 'contains', value: 3 })).toEqual({ ok: true });
    expect(msg({ source: 'json', path: 'arr', op: 'contains', value: 'tw' })).toContain('the text is not there');
    expect(ok({ source: 'json', path: 'arr', op: 'notContains', value: 4 })).toEqual({ ok: true });
    expect(msg({ source: 'json', path: 'arr', op: 'notContains', value: 1 })).toContain('the text is there');
    expect(ok({ source: 'json', path: 'obj', op: 'eq', value: '{"a":1}' })).toEqual({ ok: true });
    expect(ok({ source: 'json', path: 'obj', op: 'contains', value: '"a"' })).toEqual({ ok: true });
    expect(ok({ source: 'json', path: 's', op: 'eq', value: 'abc' })).toEqual({ ok: true });
    expect(msg({ source: 'json', path: 's', op: 'eq', value: 'ABC' })).toContain('got "abc"');
    expect(ok({ source: 'json', path: 't', op: 'eq', value: true })).toEqual({ ok: true });
    expect(msg({ source: 'json', path: 't', op: 'eq', value: false })).toContain('got true');
    expect(ok({ source: 'body', op: 'matches', value: '"s":"a.c"' })).toEqual({ ok: true });
    expect(msg({ source: 'body', op: 'matches', value: '^abc' })).toContain('does not match');
    expect(ok({ source: 'status', op: 'matches', value: '^2\\d\\d$' })).toEqual({ ok: true });
    expect(ok({ source: 'body', op: 'contains', value: '"n":"42"' })).toEqual({ ok: true });
    // A long value is shortened in the message.
    const long = msg({ source: 'body', op: 'eq', value: 'x' });
    expect(long.length).toBeLessThan(300);
  });

  it('numbers the assertion and names its source, path, op and value', () => {
    const v = evaluateAssertion({ source: 'json', path: 'n', op: 'lt', value: 5 }, seen, 3);
    expect(v).toEqual({ ok: false, message: 'assertion 4 (json n lt 5) failed: got 42' });
  });
});

describe('readJsonPath', () => {
  const doc = {
    a: { b: [{ c: 1 }, { c: null }], 'key.with.dots': 'dotted', 'q"x': 'quoted' },
    list: [10, 20],
    zero: 0,
    empty: '',
  };
  const missing = (path: string, d: unknown = doc) => expect(typeof readJsonPath(d, path), path).toBe('symbol');

  it('reads dotted paths, $-prefixed paths, indexes and quoted keys', () => {
    expect(readJsonPath(doc, 'a.b[0].c')).toBe(1);
    expect(readJsonPath(doc, '$.a.b[0].c')).toBe(1);
    expect(readJsonPath(doc, '$a.b[0].c')).toBe(1);
    expect(readJsonPath(doc, 'a.b[1].c')).toBeNull();
    expect(readJsonPath(doc, 'list[1]')).toBe(20);
    expect(readJsonPath(doc, 'a["key.with.dots"]')).toBe('dotted');
    expect(readJsonPath(doc, 'a["q\\"x"]')).toBe('quoted');
    expect(readJsonPath(doc, ' zero ')).toBe(0);
    expect(readJsonPath(doc, 'empty')).toBe('');
    expect(readJsonPath([[5, 6]], '[0][1]')).toBe(6);
    expect(readJsonPath(doc, '$')).toEqual(doc);
  });

  it('anything absent is MISSING, not undefined or 0', () => {
    missing('a.x');
    missing('a.b[2]');
    missing('list[5]');
    missing('a[0]'); // an index into an object
    missing('list.x'); // a key into an array
    missing('a.b[0].c.d'); // a key into a number
    missing('a.b[1].c.d'); // a key into null
    missing('zero.x');
    missing('a..b');
    missing('a.b[');
    missing('a.b[-1]');
    missing('a["unterminated');
    // Inherited properties are not data.
    missing('toString');
    missing('__proto__');
    missing('constructor');
    missing('list.length');
    missing('x', null);
    missing('x', 'text');
  });
});
