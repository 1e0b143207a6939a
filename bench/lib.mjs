// Shared by the benchmarks: percentiles, a private home, and a raw stdio
// JSON-RPC client with no SDK in the way of the timing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '..');
export const serverEntry = join(root, 'dist', 'index.js');

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(values) {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

const homes = [];
process.on('exit', () => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

/** A private MONITORS_MCP_HOME, removed when the benchmark exits. */
export function tempHome() {
  const home = mkdtempSync(join(tmpdir(), 'monitors-bench-'));
  homes.push(home);
  return home;
}

export const fmt = (ms) => `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;

/** A child speaking newline-delimited JSON-RPC; `request` resolves with the response. */
export function rpcChild(command, args, env) {
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let buf = '';
  let stderr = '';
  let nextId = 1;
  const waiting = new Map();
  child.stdout.on('data', (d) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      const msg = JSON.parse(line);
      if (msg.id !== undefined && waiting.has(msg.id)) {
        waiting.get(msg.id)(msg);
        waiting.delete(msg.id);
      }
    }
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return {
    child,
    stderr: () => stderr,
    clearStderr: () => {
      stderr = '';
    },
    request(method, params) {
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
      });
    },
    notify(method, params) {
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method, params })}\n`);
    },
    close() {
      return new Promise((resolve) => {
        child.once('exit', resolve);
        child.stdin.end();
      });
    },
  };
}

export const initializeParams = {
  protocolVersion: '2025-06-18',
  capabilities: {},
  clientInfo: { name: 'monitors-bench', version: '1' },
};

/** Where the shared-deployment rows run (a user that may create and drop databases). */
export const adminUrl = process.env.BENCH_MYSQL_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306/mysql';
export const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** Runs one statement as the admin user (creating or dropping a benchmark's database). */
export async function mysqlAdmin(sql) {
  const { createConnection } = await import('mysql2/promise');
  const c = await createConnection({ uri: adminUrl, connectTimeout: 3000 });
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** The built server as a raw JSON-RPC child, past `initialize`. */
export async function startServer(env) {
  const s = rpcChild(process.execPath, [serverEntry], env);
  await s.request('initialize', initializeParams);
  s.notify('notifications/initialized', {});
  return s;
}
