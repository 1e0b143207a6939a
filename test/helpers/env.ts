// Test environments: a private MONITORS_MCP_HOME, and for the shared backend a
// fresh MySQL database plus a Redis key prefix of its own, removed afterwards.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/infra/logger.js';

export type BackendName = 'sqlite' | 'mysql';

export const mysqlAdminUrl = inject('mysqlAdminUrl');
export const redisUrl = inject('redisUrl');
export const sharedAvailable = mysqlAdminUrl !== '';

/** The backends to run storage tests on: SQLite always, MySQL + Redis when reachable. */
export const backends: BackendName[] = sharedAvailable ? ['sqlite', 'mysql'] : ['sqlite'];

export interface TestEnv {
  backend: BackendName;
  home: string;
  /** The variables a client would pass to the server (plus MONITORS_MCP_DOTENV=off). */
  env: Record<string, string>;
  databaseName?: string;
  cleanup(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const { createConnection } = await import('mysql2/promise');
  const c = await createConnection({ uri: mysqlAdminUrl });
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export function mysqlUrlFor(databaseName: string): string {
  const u = new URL(mysqlAdminUrl);
  u.pathname = `/${databaseName}`;
  return u.toString();
}

export async function makeEnv(backend: BackendName, extra: Record<string, string> = {}): Promise<TestEnv> {
  const home = mkdtempSync(join(tmpdir(), 'monitors-test-'));
  const env: Record<string, string> = {
    MONITORS_MCP_HOME: home,
    MONITORS_MCP_DOTENV: 'off',
    LOG_LEVEL: 'warn',
    // Servers in tests check nothing on their own unless a test turns the scheduler on.
    MONITORS_MCP_WORKER: 'off',
  };
  let databaseName: string | undefined;
  if (backend === 'mysql') {
    if (!sharedAvailable) throw new Error('MySQL/Redis not available');
    databaseName = `monitors_test_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE DATABASE \`${databaseName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    env.DATABASE_URL = mysqlUrlFor(databaseName);
    env.REDIS_URL = redisUrl;
    env.REDIS_KEY_PREFIX = `test:${randomBytes(4).toString('hex')}:`;
    env.JWT_SECRET = randomBytes(48).toString('base64url');
    env.MASTER_KEY = randomBytes(32).toString('base64');
  }
  Object.assign(env, extra);
  return {
    backend,
    home,
    env,
    ...(databaseName ? { databaseName } : {}),
    async cleanup() {
      if (databaseName) await adminQuery(`DROP DATABASE IF EXISTS \`${databaseName}\``).catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** An app built in this process from the same code the server uses. */
export function makeApp(env: Record<string, string>, logger: Logger = createLogger('silent')): App {
  return createApp(loadConfig({ ...env, MONITORS_MCP_DOTENV: 'off' }), logger);
}
