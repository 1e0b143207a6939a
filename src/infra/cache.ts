// The cache: Redis for shared deployments, an in-process LRU for the embedded
// default. Callers treat every cache failure as a miss and go to the
// database, so the cache can vanish without skipping a check.
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config.js';
import type { Logger } from './logger.js';

export interface Cache {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  del(...keys: string[]): Promise<void>;
  /** A short description of what was reached, for test-connections; throws if unreachable. */
  ping(): Promise<string>;
  close(): Promise<void>;
}

/**
 * In-process cache. Several processes can share one SQLite file (the stdio
 * server, a terminal `logout`), so a delete also replaces a stamp file; each
 * process drops its whole cache when it sees the stamp change. That keeps a
 * revoked session from living on in another process's memory.
 */
export class MemoryCache implements Cache {
  readonly kind = 'memory' as const;
  private readonly lru = new LRUCache<string, string>({ max: 10_000, ttlAutopurge: false });
  private seen: string | undefined;

  constructor(private readonly stampPath?: string) {
    this.seen = this.readStamp();
  }

  private readStamp(): string | undefined {
    if (!this.stampPath) return undefined;
    try {
      return readFileSync(this.stampPath, 'utf8');
    } catch {
      return 'none';
    }
  }

  private checkStamp(): void {
    const now = this.readStamp();
    if (now !== this.seen) {
      this.lru.clear();
      this.seen = now;
    }
  }

  async get(key: string): Promise<string | undefined> {
    this.checkStamp();
    return this.lru.get(key);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    if (ttlSeconds <= 0) return;
    this.checkStamp();
    this.lru.set(key, value, { ttl: ttlSeconds * 1000 });
  }

  async del(...keys: string[]): Promise<void> {
    for (const k of keys) this.lru.delete(k);
    if (this.stampPath) {
      const tmp = `${this.stampPath}.${process.pid}.${randomBytes(4).toString('hex')}`;
      writeFileSync(tmp, randomBytes(12).toString('hex'), { mode: 0o600 });
      renameSync(tmp, this.stampPath);
      this.seen = this.readStamp();
    }
  }

  async ping(): Promise<string> {
    return 'in-process cache';
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}

type Redis = import('ioredis').Redis;

export class RedisCache implements Cache {
  readonly kind = 'redis' as const;
  private everReady = false;
  private warnedDown = false;
  /** Deletes that failed while Redis was away (revoked sessions): retried when it is back, and never read meanwhile. */
  private readonly pendingDeletes = new Set<string>();
  /** Set while entries possibly left stale by an outage are being dropped; reads wait for it. */
  private flushing: Promise<void> | undefined;

  private constructor(
    private readonly client: Redis,
    private readonly display: string,
    private readonly keyPrefix: string,
    logger: Logger,
  ) {
    client.on('ready', () => {
      if (this.warnedDown) {
        logger.info('cache reachable again', { redis: display });
        // While Redis was unreachable, deletes (a logout in any process) may have
        // been missed, so a revoked session could still be cached here. Every
        // entry is only a shortcut to the database: drop them all under our prefix.
        const flush: Promise<void> = this.dropAll()
          .catch((err: Error & { code?: string }) => {
            logger.warn('could not clear the cache after an outage', { redis: display, code: err.code ?? err.message });
          })
          .finally(() => {
            if (this.flushing === flush) this.flushing = undefined;
          });
        this.flushing = flush;
      }
      this.everReady = true;
      this.warnedDown = false;
      this.flushPendingDeletes();
    });
    client.on('error', (err: Error & { code?: string }) => {
      if (!this.warnedDown) {
        logger.warn('cache unreachable; validating sessions through the database', {
          redis: display,
          code: err.code ?? err.message,
        });
        this.warnedDown = true;
      }
    });
  }

  static async create(config: NonNullable<Config['redis']>, logger: Logger): Promise<RedisCache> {
    const { Redis } = await import('ioredis');
    const client = new Redis(config.url, {
      keyPrefix: config.keyPrefix,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
      commandTimeout: 1_000,
      retryStrategy: (times) => Math.min(100 * times, 2_000),
    });
    const cache = new RedisCache(client, config.display, config.keyPrefix, logger);
    client.connect().catch(() => {
      /* reported through the error event; retried by retryStrategy */
    });
    return cache;
  }

  /** Deletes every key under the prefix (SCAN returns full names; DEL adds the prefix itself). */
  private async dropAll(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', `${escapeGlob(this.keyPrefix)}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await this.client.del(...keys.map((k) => k.slice(this.keyPrefix.length)));
    } while (cursor !== '0');
  }

  /** Before the first connection, wait briefly for it; after an outage, fail fast. */
  private async ready(): Promise<void> {
    if (this.flushing) await this.flushing;
    if (this.client.status === 'ready' || this.everReady) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.client.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, 500);
      this.client.once('ready', done);
    });
  }

  private flushPendingDeletes(): void {
    if (this.pendingDeletes.size === 0) return;
    const keys = [...this.pendingDeletes];
    this.client.del(...keys).then(
      () => {
        for (const k of keys) this.pendingDeletes.delete(k);
      },
      () => undefined,
    );
  }

  async get(key: string): Promise<string | undefined> {
    if (this.pendingDeletes.has(key)) return undefined;
    await this.ready();
    return (await this.client.get(key)) ?? undefined;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    if (ttlSeconds <= 0) return;
    await this.ready();
    await this.client.set(key, value, 'EX', Math.max(1, Math.floor(ttlSeconds)));
  }

  async del(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.ready();
      await this.client.del(...keys);
    } catch (err) {
      for (const k of keys) this.pendingDeletes.add(k);
      throw err;
    }
  }

  async ping(): Promise<string> {
    await this.ready();
    const info = await this.client.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown version';
    return `Redis ${version} at ${this.display}`;
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

export async function openCache(config: Config, logger: Logger, stampPath: string): Promise<Cache> {
  if (config.redis) return RedisCache.create(config.redis, logger);
  return new MemoryCache(stampPath);
}
