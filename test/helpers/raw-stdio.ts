// The built server as a raw child process: JSON-RPC lines written straight to
// its stdin, and every line it prints on stdout kept and checked, so a test can
// see exactly what a client would see (including anything that is not MCP).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { SERVER_ENTRY } from './stdio.js';

export interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: string | number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

export interface RawServer {
  child: ChildProcessWithoutNullStreams;
  /** Every stdout line, as printed. */
  lines: string[];
  /** Every stdout line that is not a well-formed JSON-RPC 2.0 message, with the reason. */
  badLines: { line: string; why: string }[];
  /** Every message parsed from stdout, in order. */
  messages: JsonRpcMessage[];
  stderr(): string;
  /** Writes one raw line (a newline is added). */
  writeLine(line: string): void;
  /** Sends a request and waits for the response with its id (result or error). */
  request(method: string, params?: unknown, timeoutMs?: number): Promise<JsonRpcMessage>;
  notify(method: string, params?: unknown): void;
  /** initialize + notifications/initialized; returns the initialize response. */
  initialize(protocolVersion?: string): Promise<JsonRpcMessage>;
  /** Server-to-client notifications received so far with this method. */
  notifications(method: string): JsonRpcMessage[];
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Ends stdin and resolves with the milliseconds from end() to the 'exit' event. */
  endStdin(): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal and resolves with the milliseconds until 'exit'. */
  signal(sig: NodeJS.Signals): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

/** Why a parsed value is not a JSON-RPC 2.0 message, or undefined if it is one. */
export function jsonRpcProblem(v: unknown): string | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const m = v as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return 'jsonrpc is not "2.0"';
  const hasId = typeof m.id === 'string' || typeof m.id === 'number';
  if (typeof m.method === 'string') return undefined; // request or notification
  if (!hasId && m.id !== null) return 'a response without an id';
  const hasResult = 'result' in m;
  const hasError = 'error' in m;
  if (hasResult === hasError) return 'a response needs exactly one of result and error';
  if (hasError) {
    const e = m.error as Record<string, unknown> | null;
    if (!e || !Number.isInteger(e.code) || typeof e.message !== 'string') return 'error without an integer code and a message';
  }
  return undefined;
}

/** Starts `node dist/index.js` with exactly `env` plus PATH and HOME (what a client passes). */
export function spawnRaw(env: Record<string, string>, args: string[] = []): RawServer {
  const child = spawn(process.execPath, [SERVER_ENTRY, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const badLines: { line: string; why: string }[] = [];
  const messages: JsonRpcMessage[] = [];
  const waiting = new Map<string | number, (m: JsonRpcMessage) => void>();
  let err = '';
  let buf = '';
  let nextId = 1;

  const take = (line: string) => {
    lines.push(line);
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      badLines.push({ line: line.slice(0, 500), why: 'not JSON' });
      return;
    }
    const why = jsonRpcProblem(parsed);
    if (why) {
      badLines.push({ line: line.slice(0, 500), why });
      return;
    }
    const m = parsed as JsonRpcMessage;
    messages.push(m);
    if (m.method === undefined && m.id !== undefined) waiting.get(m.id)?.(m);
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buf += chunk;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      take(buf.slice(0, nl).replace(/\r$/, ''));
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
    }
  });
  child.stdout.on('end', () => {
    if (buf.length > 0) badLines.push({ line: buf.slice(0, 500), why: 'an unterminated line at the end of stdout' });
    buf = '';
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    err += d;
  });
  // A write after the child has gone is not this test's failure to report.
  child.stdin.on('error', () => undefined);

  const stdoutClosed = new Promise<void>((resolve) => child.stdout.on('close', () => resolve()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() }));
  });

  const writeLine = (line: string) => {
    child.stdin.write(`${line}\n`);
  };

  const request = (method: string, params?: unknown, timeoutMs = 10_000) => {
    const id = nextId++;
    return new Promise<JsonRpcMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`no answer to ${method} (id ${id}) in ${timeoutMs} ms; stderr:\n${err.slice(-2000)}`));
      }, timeoutMs);
      waiting.set(id, (m) => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(m);
      });
      writeLine(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }));
    });
  };

  const notify = (method: string, params?: unknown) => {
    writeLine(JSON.stringify({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) }));
  };

  const timed = async (start: () => void) => {
    const t0 = performance.now();
    start();
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      exited,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), 5_000);
      }),
    ]);
    clearTimeout(timer);
    // Read what was still in the pipe when the process exited before judging stdout.
    if (r) await stdoutClosed;
    if (!r) {
      child.kill('SIGKILL');
      return { ms: Number.POSITIVE_INFINITY, code: null, signal: null };
    }
    return { ms: r.at - t0, code: r.code, signal: r.signal };
  };

  return {
    child,
    lines,
    badLines,
    messages,
    stderr: () => err,
    writeLine,
    request,
    notify,
    async initialize(protocolVersion = '2025-06-18') {
      const res = await request('initialize', {
        protocolVersion,
        capabilities: {},
        clientInfo: { name: 'raw-test', version: '1.0.0' },
      });
      notify('notifications/initialized');
      return res;
    },
    notifications: (method) => messages.filter((m) => m.method === method && m.id === undefined),
    exited,
    endStdin: () => timed(() => child.stdin.end()),
    signal: (sig) => timed(() => child.kill(sig)),
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
