// Environment -> one typed, validated Config. Nothing set at all gives the
// embedded default (SQLite, in-process cache, console mailer); a MySQL
// DATABASE_URL makes a shared deployment, whose secrets must be real.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseDotenv } from 'dotenv';
import { ConfigError } from './errors.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export type DatabaseConfig = { kind: 'mysql'; url: string; display: string } | { kind: 'sqlite'; path: string; display: string };

export interface Config {
  mode: 'shared' | 'embedded';
  home: string;
  packageRoot: string;
  /** Names the deployment in the credentials file, without any password. */
  deployment: string;
  database: DatabaseConfig;
  redis?: { url: string; display: string; keyPrefix: string };
  mail: { kind: 'sendgrid'; apiKey: string; baseUrl?: string; from: string } | { kind: 'console'; outbox: string; from: string };
  /** From the environment; in the embedded default missing ones come from keys.json. */
  secrets: { jwtSecret?: string; masterKey?: Buffer; masterKeyPrevious?: Buffer };
  jwt: { issuer: string; audience: string };
  sessionTtlSeconds: number;
  sessionCacheSeconds: number;
  login: {
    codeTtlSeconds: number;
    maxAttempts: number;
    resendIntervalSeconds: number;
    maxPerHour: number;
    lockAfterFailures: number;
    lockSeconds: number;
  };
  /** Let monitors and webhooks reach loopback, private and link-local addresses (tests, internal networks). */
  allowPrivateTargets: boolean;
  /** The in-process scheduler of the stdio server (off: leave checks to `monitors-mcp worker`). */
  worker: { inServer: boolean; concurrency: number; pollMs: number; retentionDays: number };
  /** Limits by users.tier; a tier not listed here gets the free plan. */
  plans: Record<'free' | 'pro', Plan>;
  logLevel: LogLevel;
  /** Every variable that was read, for `setup` to write into a client config. */
  sources: { dotenvFiles: string[] };
}

type Env = Record<string, string | undefined>;

export interface Plan {
  maxMonitors: number;
  minIntervalSeconds: number;
  maxSecrets: number;
  maxRules: number;
}

const PLAN_DEFAULTS: Record<'free' | 'pro', Plan> = {
  free: { maxMonitors: 10, minIntervalSeconds: 300, maxSecrets: 10, maxRules: 20 },
  pro: { maxMonitors: 500, minIntervalSeconds: 30, maxSecrets: 100, maxRules: 500 },
};

function plan(env: Env, tier: 'free' | 'pro'): Plan {
  const d = PLAN_DEFAULTS[tier];
  const T = tier.toUpperCase();
  return {
    maxMonitors: int(env, `PLAN_${T}_MAX_MONITORS`, d.maxMonitors, 0, 1_000_000),
    minIntervalSeconds: int(env, `PLAN_${T}_MIN_INTERVAL_SECONDS`, d.minIntervalSeconds, 10, 86_400),
    maxSecrets: int(env, `PLAN_${T}_MAX_SECRETS`, d.maxSecrets, 0, 100_000),
    maxRules: int(env, `PLAN_${T}_MAX_RULES`, d.maxRules, 0, 1_000_000),
  };
}

/** The folder holding package.json, found from this file whether it runs from src/ or dist/. */
export function findPackageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'monitors-mcp') return dir;
      } catch {
        /* not ours */
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return resolve(from, '..');
}

function readDotenv(file: string): Env | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return parseDotenv(readFileSync(file));
  } catch (err) {
    throw new ConfigError(`Could not read ${file}: ${(err as Error).message}.`);
  }
}

/**
 * The environment as the server sees it: real variables win, then
 * $MONITORS_MCP_HOME/.env, then the package root's .env. A client starts the
 * server from any folder with a bare environment, so the files matter.
 */
export function resolveEnv(input: Env = process.env, packageRoot = findPackageRoot()): { env: Env; files: string[] } {
  const real = stripEmpty(input);
  if (real.MONITORS_MCP_DOTENV === 'off') return { env: real, files: [] };
  const rootFile = join(packageRoot, '.env');
  const rootEnv = stripEmpty(readDotenv(rootFile) ?? {});
  const home = expandHome(real.MONITORS_MCP_HOME ?? rootEnv.MONITORS_MCP_HOME ?? join(homedir(), '.monitors-mcp'));
  const homeFile = join(home, '.env');
  const homeEnv = homeFile === rootFile ? undefined : readDotenv(homeFile);
  const files = [homeEnv && homeFile, existsSync(rootFile) && rootFile].filter((f): f is string => Boolean(f));
  return { env: { ...rootEnv, ...stripEmpty(homeEnv ?? {}), ...real }, files };
}

function stripEmpty(env: Env): Env {
  // An empty variable (KEY= in a client config) means "not set", not "set to nothing".
  const out: Env = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

function expandHome(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return resolve(p);
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const trimmed = raw.trim();
  if (!/^-?\d+$/.test(trimmed)) throw new ConfigError(`${name} must be a whole number, got "${clip(raw)}".`);
  const n = Number(trimmed);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${trimmed}.`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be on or off (true or false), got "${clip(raw)}".`);
}

function clip(s: string, n = 40): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

const PLACEHOLDER = /change.?me|placeholder|example|replace|your[-_ ]|xxxx|^secret$|^password$|^test$|^dev$|insecure/i;

export function isPlaceholder(value: string): boolean {
  return PLACEHOLDER.test(value) || new Set(value).size < 8;
}

/** A 32-byte key given as 64 hex characters or base64 / base64url. */
export function decodeKey(raw: string): Buffer | undefined {
  const v = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) return undefined;
  const buf = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return buf.length === 32 ? buf : undefined;
}

export function parseDatabaseUrl(raw: string | undefined, home: string): DatabaseConfig {
  if (raw === undefined) {
    const path = join(home, 'monitors.db');
    return { kind: 'sqlite', path, display: `sqlite:${path}` };
  }
  const value = raw.trim();
  const sqlite = /^sqlite:\/\/(\/.+)$/.exec(value);
  if (sqlite) {
    const path = `/${sqlite[1]!.replace(/^\/+/, '')}`;
    if (!isAbsolute(path) || path.endsWith('/')) {
      throw new ConfigError('DATABASE_URL for SQLite must name a file by absolute path: sqlite:///abs/path/monitors.db.');
    }
    return { kind: 'sqlite', path, display: `sqlite:${path}` };
  }
  const mysql = /^(mysql|mysql\+pymysql|mariadb):\/\//i.exec(value);
  if (mysql) {
    let url: URL;
    try {
      url = new URL(`mysql://${value.slice(mysql[0].length)}`);
    } catch {
      throw new ConfigError('DATABASE_URL is not a valid URL: use mysql://user:password@host:3306/database.');
    }
    const db = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (!url.hostname) throw new ConfigError('DATABASE_URL names no host: use mysql://user:password@host:3306/database.');
    if (!db || db.includes('/')) {
      throw new ConfigError('DATABASE_URL names no database: use mysql://user:password@host:3306/database.');
    }
    const display = `mysql://${url.hostname}:${url.port || '3306'}/${db}`;
    return { kind: 'mysql', url: url.toString(), display };
  }
  throw new ConfigError(
    `DATABASE_URL must start with mysql://, mysql+pymysql:// or sqlite:///, got "${clip(value.replace(/\/\/[^@/]*@/, '//…@'), 30)}".`,
  );
}

function parseRedisUrl(raw: string, keyPrefix: string): NonNullable<Config['redis']> {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError('REDIS_URL is not a valid URL: use redis://[:password@]host:6379/0.');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError('REDIS_URL must start with redis:// or rediss://.');
  }
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,2}$/.test(path)) {
    throw new ConfigError(`REDIS_URL's path must be a database index such as /1, got "/${clip(path, 20)}".`);
  }
  return { url: url.toString(), display: `${url.protocol}//${url.hostname}:${url.port || '6379'}/${path || '0'}`, keyPrefix };
}

export function loadConfig(input: Env = process.env, packageRoot = findPackageRoot()): Config {
  const { env, files } = resolveEnv(input, packageRoot);
  const home = expandHome(env.MONITORS_MCP_HOME ?? join(homedir(), '.monitors-mcp'));
  const database = parseDatabaseUrl(env.DATABASE_URL, home);
  const mode = database.kind === 'mysql' ? 'shared' : 'embedded';

  const keyPrefix = env.REDIS_KEY_PREFIX ?? 'monitors:';
  if (keyPrefix.length > 64 || /\s/.test(keyPrefix)) {
    throw new ConfigError('REDIS_KEY_PREFIX must be at most 64 characters with no spaces.');
  }
  const redis = env.REDIS_URL ? parseRedisUrl(env.REDIS_URL, keyPrefix) : undefined;

  const secrets: Config['secrets'] = {};
  if (env.JWT_SECRET !== undefined) {
    if (Buffer.byteLength(env.JWT_SECRET) < 32 || isPlaceholder(env.JWT_SECRET)) {
      throw new ConfigError(
        'JWT_SECRET is a placeholder or shorter than 32 bytes: set it to a random value, e.g. `openssl rand -base64 48`.',
      );
    }
    secrets.jwtSecret = env.JWT_SECRET;
  } else if (mode === 'shared') {
    throw new ConfigError('JWT_SECRET is not set: a MySQL deployment needs a random secret of at least 32 bytes.');
  }
  for (const name of ['MASTER_KEY', 'MASTER_KEY_PREVIOUS'] as const) {
    const raw = env[name];
    if (raw === undefined) continue;
    const key = isPlaceholder(raw) ? undefined : decodeKey(raw);
    if (!key) {
      throw new ConfigError(
        `${name} must decode to exactly 32 bytes (64 hex characters or base64), e.g. \`openssl rand -base64 32\`.`,
      );
    }
    if (name === 'MASTER_KEY') secrets.masterKey = key;
    else secrets.masterKeyPrevious = key;
  }
  if (mode === 'shared' && !secrets.masterKey) {
    throw new ConfigError('MASTER_KEY is not set: a MySQL deployment needs a random 32-byte key (`openssl rand -base64 32`).');
  }

  const from = env.MAIL_FROM ?? 'monitors-mcp <no-reply@monitors-mcp.local>';
  let mail: Config['mail'];
  if (env.SENDGRID_API_KEY) {
    if (isPlaceholder(env.SENDGRID_API_KEY) || env.SENDGRID_API_KEY.length < 20) {
      throw new ConfigError('SENDGRID_API_KEY looks like a placeholder: set a real key or remove it to use the console mailer.');
    }
    if (!env.MAIL_FROM) {
      throw new ConfigError('MAIL_FROM is not set: SendGrid needs a sender address verified in your SendGrid account.');
    }
    let baseUrl: string | undefined;
    if (env.SENDGRID_BASE_URL) {
      try {
        const u = new URL(env.SENDGRID_BASE_URL);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
        baseUrl = u.toString().replace(/\/$/, '');
      } catch {
        throw new ConfigError('SENDGRID_BASE_URL must be an http:// or https:// URL.');
      }
    }
    mail = { kind: 'sendgrid', apiKey: env.SENDGRID_API_KEY, from, ...(baseUrl ? { baseUrl } : {}) };
  } else {
    mail = { kind: 'console', outbox: join(home, 'outbox'), from };
  }

  const level = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(level)) {
    throw new ConfigError(`LOG_LEVEL must be one of debug, info, warn, error, silent; got "${clip(env.LOG_LEVEL ?? '')}".`);
  }

  return {
    mode,
    home,
    packageRoot,
    deployment: database.display,
    database,
    ...(redis ? { redis } : {}),
    mail,
    secrets,
    jwt: { issuer: env.JWT_ISSUER ?? 'monitors-mcp', audience: env.JWT_AUDIENCE ?? 'monitors-mcp' },
    sessionTtlSeconds: int(env, 'SESSION_TTL_DAYS', 30, 1, 365) * 86_400,
    sessionCacheSeconds: int(env, 'SESSION_CACHE_SECONDS', 300, 0, 86_400),
    login: {
      codeTtlSeconds: int(env, 'LOGIN_CODE_TTL_SECONDS', 600, 30, 86_400),
      maxAttempts: int(env, 'LOGIN_CODE_MAX_ATTEMPTS', 5, 1, 100),
      resendIntervalSeconds: int(env, 'LOGIN_RESEND_INTERVAL_SECONDS', 60, 0, 86_400),
      maxPerHour: int(env, 'LOGIN_MAX_PER_HOUR', 5, 1, 1000),
      lockAfterFailures: int(env, 'LOGIN_LOCK_AFTER_FAILURES', 20, 1, 10_000),
      lockSeconds: int(env, 'LOGIN_LOCK_SECONDS', 3600, 0, 7 * 86_400),
    },
    allowPrivateTargets: bool(env, 'ALLOW_PRIVATE_TARGETS', false),
    worker: {
      inServer: bool(env, 'MONITORS_MCP_WORKER', true),
      concurrency: int(env, 'WORKER_CONCURRENCY', 64, 1, 1000),
      pollMs: int(env, 'WORKER_POLL_MS', 1000, 50, 60_000),
      retentionDays: int(env, 'RESULTS_RETENTION_DAYS', 30, 1, 3650),
    },
    plans: { free: plan(env, 'free'), pro: plan(env, 'pro') },
    logLevel: level as LogLevel,
    sources: { dotenvFiles: files },
  };
}
