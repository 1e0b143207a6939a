// The four checks. One deadline (an AbortSignal) covers DNS, connect, TLS and
// the body; sockets resolve through the target guard, so the address that was
// checked is the one connected to. The platform and undici do the work; this
// file is the glue: redirects, decoding, the 1 MB cap, and turning what
// happened into a result.
import { promises as dnsPromises } from 'node:dns';
import { isIP, connect as netConnect } from 'node:net';
import type { Readable } from 'node:stream';
import { checkServerIdentity, type PeerCertificate, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { DomainError } from '../errors.js';
import { evaluateAssertion, extractNumber, type Observed } from './assertions.js';
import { type MonitorDefinition, parseExpectedStatus, parseHostPort, SECRET_REF } from './definition.js';
import { checkLiteral, checkScheme, guardedLookup, TargetRefused } from './guard.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface CheckResult {
  status: 'up' | 'down';
  latencyMs: number;
  statusCode: number | null;
  value: number | null;
  error: string | null;
  checkedAt: number;
}

export interface CheckOptions {
  allowPrivate: boolean;
  /** Cancels the check (the client cancelled, the worker is stopping). */
  signal?: AbortSignal;
  /** The plaintext of a secret named in the definition, or undefined if there is none. */
  secret: (name: string) => Promise<string | undefined>;
}

class CheckFailed extends Error {}

/** Replaces every secret value (and its URL-encoded form) in text that may be shown or stored. */
function scrubber(values: string[]): (text: string) => string {
  const forms = values
    .filter((v) => v.length >= 1)
    .flatMap((v) => [v, encodeURIComponent(v), Buffer.from(v).toString('base64'), JSON.stringify(v).slice(1, -1)]);
  const sorted = [...new Set(forms)].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const f of sorted) out = out.split(f).join('[secret]');
    return out;
  };
}

function describeFailure(
  err: unknown,
  deadline: AbortSignal,
  timeoutMs: number,
  scrub: (text: string) => string = (t) => t,
): string {
  if (err instanceof DomainError || err instanceof CheckFailed) return err.message;
  if (deadline.aborted) {
    const reason = (deadline as AbortSignal & { reason?: unknown }).reason;
    if (reason instanceof Error && reason.name === 'TimeoutError') return `No answer within the ${timeoutMs} ms deadline.`;
    return 'The check was cancelled.';
  }
  const e = err as { code?: string; message?: string; cause?: unknown };
  if (e?.cause instanceof TargetRefused) return e.cause.message;
  const code = e?.code ?? (e?.cause as { code?: string })?.code;
  const known: Record<string, string> = {
    ENOTFOUND: 'The name does not resolve (DNS: not found).',
    EAI_AGAIN: 'DNS did not answer in time (EAI_AGAIN).',
    ECONNREFUSED: 'The connection was refused (nothing listening there).',
    ECONNRESET: 'The connection was reset by the other side.',
    EHOSTUNREACH: 'The host is unreachable.',
    ENETUNREACH: 'The network is unreachable.',
    UND_ERR_SOCKET: 'The connection closed before a full answer arrived.',
    CERT_HAS_EXPIRED: 'The TLS certificate has expired.',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'The TLS certificate is self-signed, so it is not trusted.',
    SELF_SIGNED_CERT_IN_CHAIN: 'The TLS certificate chain ends in a self-signed certificate, so it is not trusted.',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'The TLS certificate is not signed by a trusted authority.',
    ERR_TLS_CERT_ALTNAME_INVALID: 'The TLS certificate is not valid for this host name.',
    HPE_INVALID_CONSTANT: 'The server did not answer with valid HTTP.',
    ERR_SSL_WRONG_VERSION_NUMBER: 'The server did not speak TLS on that port.',
    EPROTO: 'The TLS handshake failed.',
  };
  if (code && known[code]) return known[code];
  // Scrubbed before it is cut short, so no part of a secret survives the cut.
  const first = scrub(e?.message ?? String(err))
    .split('\n')[0]!
    .replace(/[.:]+$/, '')
    .slice(0, 200);
  return `The check failed: ${first}${code ? ` (${code})` : ''}.`;
}

async function fillSecrets(text: string, opts: CheckOptions, used: string[]): Promise<string> {
  let out = text;
  for (const m of [...text.matchAll(SECRET_REF)]) {
    const value = await opts.secret(m[1]!);
    if (value === undefined) throw new CheckFailed(`The secret ${m[1]} no longer exists: set it again with set_secret.`);
    used.push(value);
    out = out.split(m[0]).join(value);
  }
  return out;
}

async function readCapped(body: Readable, encoding: string | undefined): Promise<{ text: string; truncated: boolean }> {
  const enc = (encoding ?? '').trim().toLowerCase();
  let stream: Readable = body;
  if (enc === 'gzip' || enc === 'x-gzip') stream = body.pipe(createGunzip());
  else if (enc === 'deflate') stream = body.pipe(createInflate());
  else if (enc === 'br') stream = body.pipe(createBrotliDecompress());
  body.on('error', (err) => stream.destroy(err));
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    if (size + buf.length > MAX_BODY_BYTES) {
      chunks.push(buf.subarray(0, MAX_BODY_BYTES - size));
      size = MAX_BODY_BYTES;
      truncated = true;
      break;
    }
    chunks.push(buf);
    size += buf.length;
  }
  if (truncated) {
    stream.destroy();
    body.destroy();
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
}

function lowerHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

async function httpCheck(
  def: MonitorDefinition,
  opts: CheckOptions,
  deadline: AbortSignal,
  used: string[],
): Promise<Observed & { value?: number; note?: string }> {
  const { Agent, request } = await import('undici');
  const s = def.settings;
  let url = new URL(await fillSecrets(def.target, opts, used));
  const headers: Record<string, string> = {
    'user-agent': 'monitors-mcp/1',
    'accept-encoding': 'gzip, deflate, br',
  };
  for (const [k, v] of Object.entries(s.headers ?? {})) headers[k.toLowerCase()] = await fillSecrets(v, opts, used);
  let body = s.body !== undefined ? await fillSecrets(s.body, opts, used) : undefined;
  let method: string = s.method ?? 'GET';
  const agent = new Agent({ connect: { lookup: guardedLookup(opts.allowPrivate), timeout: def.timeoutMs }, pipelining: 0 });
  const started = performance.now();
  try {
    for (let hop = 0; ; hop++) {
      checkScheme(url);
      checkLiteral(url.hostname, opts.allowPrivate);
      const res = await request(url, {
        method: method as 'GET',
        headers,
        body: body ?? null,
        dispatcher: agent,
        signal: deadline,
        headersTimeout: def.timeoutMs,
        bodyTimeout: def.timeoutMs,
      });
      const location = res.headers.location;
      const maxRedirects = s.maxRedirects ?? 5;
      if (res.statusCode >= 300 && res.statusCode < 400 && location && hop >= maxRedirects && maxRedirects > 0) {
        // maxRedirects 0 means "do not follow" (the 3xx is the answer); otherwise a longer chain is a failure.
        await res.body.dump().catch(() => undefined);
        throw new CheckFailed(
          `The address redirected more than ${maxRedirects} time${maxRedirects === 1 ? '' : 's'} (a redirect loop, or a longer chain than maxRedirects allows).`,
        );
      }
      if (res.statusCode >= 300 && res.statusCode < 400 && location && hop < maxRedirects) {
        await res.body.dump().catch(() => undefined);
        url = new URL(Array.isArray(location) ? location[0]! : location, url);
        if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      const read =
        method === 'HEAD'
          ? { text: '', truncated: false }
          : await readCapped(res.body, res.headers['content-encoding'] as string | undefined);
      return {
        statusCode: res.statusCode,
        latencyMs: Math.round(performance.now() - started),
        headers: lowerHeaders(res.headers),
        body: read.text,
        ...(read.truncated ? { note: 'The body is over 1 MB; only the first 1 MB was read.' } : {}),
      };
    }
  } finally {
    agent.destroy().catch(() => undefined);
  }
}

function withDeadline<T>(
  deadline: AbortSignal,
  start: (fail: (err: unknown) => void, done: (v: T) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let cleanup = () => {};
    const onAbort = () => {
      cleanup();
      reject(deadline.reason);
    };
    if (deadline.aborted) return reject(deadline.reason);
    deadline.addEventListener('abort', onAbort, { once: true });
    cleanup = start(
      (err) => {
        deadline.removeEventListener('abort', onAbort);
        cleanup();
        reject(err);
      },
      (v) => {
        deadline.removeEventListener('abort', onAbort);
        cleanup();
        resolve(v);
      },
    );
  });
}

async function tcpCheck(def: MonitorDefinition, opts: CheckOptions, deadline: AbortSignal): Promise<Observed> {
  const { host, port } = parseHostPort(def.target);
  checkLiteral(host, opts.allowPrivate);
  const started = performance.now();
  await withDeadline<void>(deadline, (fail, done) => {
    const socket = netConnect({ host, port, lookup: guardedLookup(opts.allowPrivate) });
    socket.once('connect', () => done());
    socket.once('error', fail);
    return () => socket.destroy();
  });
  return { latencyMs: Math.round(performance.now() - started) };
}

async function tlsCheck(
  def: MonitorDefinition,
  opts: CheckOptions,
  deadline: AbortSignal,
): Promise<Observed & { value: number; note?: string }> {
  const { host, port } = parseHostPort(def.target.replace(/^https:\/\//, '').replace(/\/.*$/, ''), 443);
  checkLiteral(host, opts.allowPrivate);
  const started = performance.now();
  const { cert, authorizationError } = await withDeadline<{ cert: PeerCertificate; authorizationError?: string }>(
    deadline,
    (fail, done) => {
      const socket: TLSSocket = tlsConnect({
        host,
        port,
        ...(isIP(host) ? {} : { servername: host }),
        lookup: guardedLookup(opts.allowPrivate),
        rejectUnauthorized: false,
      });
      socket.once('secureConnect', () => {
        const err = socket.authorizationError as unknown as Error | string | null;
        done({
          cert: socket.getPeerCertificate(),
          ...(err
            ? { authorizationError: typeof err === 'string' ? err : ((err as { code?: string }).code ?? err.message) }
            : {}),
        });
      });
      socket.once('error', fail);
      return () => socket.destroy();
    },
  );
  if (!cert?.valid_to) throw new CheckFailed('The server sent no TLS certificate.');
  const daysLeft = Math.floor((Date.parse(cert.valid_to) - Date.now()) / 86_400_000);
  const latencyMs = Math.round(performance.now() - started);
  const seen = { latencyMs, certDaysLeft: daysLeft, value: daysLeft };
  if (daysLeft < 0) return { ...seen, note: `The certificate expired ${-daysLeft} day${daysLeft === -1 ? '' : 's'} ago.` };
  const identity = checkServerIdentity(host, cert);
  if (identity) {
    return {
      ...seen,
      note: `The certificate is not valid for ${host}: ${identity.message.slice(0, 160).replace(/[.\s]+$/, '')}.`,
    };
  }
  if (authorizationError) {
    return { ...seen, note: describeFailure({ code: authorizationError }, deadline, def.timeoutMs) };
  }
  return seen;
}

async function dnsCheck(def: MonitorDefinition, deadline: AbortSignal): Promise<Observed> {
  const resolver = new dnsPromises.Resolver({ timeout: def.timeoutMs, tries: 1 });
  const onAbort = () => resolver.cancel();
  deadline.addEventListener('abort', onAbort, { once: true });
  const started = performance.now();
  const name = def.target.replace(/\.$/, '');
  const type = def.settings.recordType ?? 'A';
  try {
    let records: string[];
    if (type === 'A') records = await resolver.resolve4(name);
    else if (type === 'AAAA') records = await resolver.resolve6(name);
    else if (type === 'CNAME') records = await resolver.resolveCname(name);
    else if (type === 'MX')
      records = (await resolver.resolveMx(name)).sort((a, b) => a.priority - b.priority).map((r) => r.exchange);
    else records = (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
    const latencyMs = Math.round(performance.now() - started);
    const expected = def.settings.expectedValue;
    if (expected !== undefined) {
      const want = expected.replace(/\.$/, '').toLowerCase();
      const match = records.some((r) => (type === 'TXT' ? r === expected : r.replace(/\.$/, '').toLowerCase() === want));
      if (!match) {
        throw new CheckFailed(
          `No ${type} record of ${name} equals "${expected.slice(0, 100)}" (got ${records.slice(0, 5).join(', ').slice(0, 200) || 'none'}).`,
        );
      }
    }
    return { latencyMs, body: records.join('\n') };
  } catch (err) {
    if (err instanceof CheckFailed) throw err;
    const code = (err as { code?: string }).code;
    if (deadline.aborted) throw err;
    if (code === 'ENOTFOUND' || code === 'ENODATA') throw new CheckFailed(`${name} has no ${type} record (${code}).`);
    throw err;
  } finally {
    deadline.removeEventListener('abort', onAbort);
  }
}

/** Runs one check of a definition; never throws: every failure is a `down` result with a sentence. */
export async function runCheck(def: MonitorDefinition, opts: CheckOptions): Promise<CheckResult> {
  const checkedAt = Date.now();
  const timeout = AbortSignal.timeout(def.timeoutMs);
  const deadline = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  const used: string[] = [];
  const started = performance.now();
  let seen: (Observed & { value?: number; note?: string }) | undefined;
  try {
    if (def.type === 'http') seen = await httpCheck(def, opts, deadline, used);
    else if (def.type === 'tcp') seen = await tcpCheck(def, opts, deadline);
    else if (def.type === 'tls') seen = await tlsCheck(def, opts, deadline);
    else seen = await dnsCheck(def, deadline);
  } catch (err) {
    const scrub = scrubber(used);
    return {
      status: 'down',
      latencyMs: Math.round(performance.now() - started),
      statusCode: null,
      value: null,
      error: scrub(describeFailure(err, deadline, def.timeoutMs, scrub)),
      checkedAt,
    };
  }
  const scrub = scrubber(used);
  // What the target sent back may echo a secret: scrub it before anything quotes (and shortens) or extracts from it.
  if (used.length > 0) {
    if (seen.body !== undefined) seen.body = scrub(seen.body);
    if (seen.headers) seen.headers = Object.fromEntries(Object.entries(seen.headers).map(([k, v]) => [k, scrub(v)]));
  }
  const problems: string[] = [];
  if (seen.note && def.type === 'tls') problems.push(seen.note);
  let value: number | null = seen.value ?? null;
  try {
    if (def.type === 'http') {
      const s = def.settings;
      const ranges = parseExpectedStatus(s.expectedStatus ?? '200-399');
      const code = seen.statusCode!;
      if (!ranges.some(([lo, hi]) => code >= lo && code <= hi)) {
        problems.push(`HTTP ${code} is not an expected status (${s.expectedStatus ?? '200-399'}).`);
      }
      if (s.keyword !== undefined) {
        const has = (seen.body ?? '').includes(s.keyword);
        if (has && s.keywordAbsent) problems.push(`The body contains "${s.keyword.slice(0, 60)}", which must be absent.`);
        if (!has && !s.keywordAbsent) problems.push(`The body does not contain "${s.keyword.slice(0, 60)}".`);
      }
      if (s.jsonPath !== undefined) {
        const x = extractNumber(seen.body, s.jsonPath);
        if ('value' in x) value = x.value;
        else problems.push(`${x.error}.`);
      }
    }
    for (const [i, a] of (def.settings.assertions ?? []).entries()) {
      const v = evaluateAssertion(a, seen, i);
      if (!v.ok) problems.push(`${v.message}.`);
    }
  } catch (err) {
    // A response that defeats evaluation (JSON nested too deep to walk, say) is a failed check, not a crash.
    problems.push(`The response could not be evaluated: ${scrub((err as Error).message).slice(0, 200)}.`);
    value = null;
  }
  const error = problems.length ? scrub(problems.slice(0, 3).join(' ')).slice(0, 1000) : null;
  return {
    status: problems.length ? 'down' : 'up',
    latencyMs: seen.latencyMs,
    statusCode: seen.statusCode ?? null,
    value,
    error,
    checkedAt,
  };
}
