// Sessions: a database row is the truth, the cache only a shortcut. Each call
// verifies the JWT, then finds the session in the cache or, on a miss or a
// cache failure, in the database; logout revokes in the database first.
import type { Config } from '../config.js';
import { NotSignedIn } from '../errors.js';
import type { Cache } from '../infra/cache.js';
import { newId } from '../infra/ids.js';
import type { Keys } from '../infra/keys.js';
import type { Logger } from '../infra/logger.js';
import type { ActiveSession, SessionsStore } from '../store/sessions.js';
import { INVALID, signSessionToken, verifySessionToken } from './tokens.js';

export type { ActiveSession };

export interface SessionDeps {
  sessions: SessionsStore;
  cache: Cache;
  keys: Keys;
  config: Pick<Config, 'jwt' | 'sessionTtlSeconds' | 'sessionCacheSeconds'>;
  logger: Logger;
  now?: () => number;
}

const REVOKED = new NotSignedIn('You have been signed out: call request_login_code with your email to sign in again.');

export class SessionService {
  private readonly now: () => number;
  constructor(private readonly deps: SessionDeps) {
    this.now = deps.now ?? Date.now;
  }

  private key(sessionId: string): string {
    return `session:${sessionId}`;
  }

  async create(
    user: { id: string; email: string; tier: string },
    client?: string,
  ): Promise<{ token: string; session: ActiveSession }> {
    const now = this.now();
    const expiresAt = now + this.deps.config.sessionTtlSeconds * 1000;
    const sessionId = newId();
    await this.deps.sessions.insert({
      id: sessionId,
      user_id: user.id,
      created_at: now,
      expires_at: expiresAt,
      revoked_at: null,
      client: client ? client.slice(0, 200) : null,
    });
    const session: ActiveSession = { sessionId, userId: user.id, email: user.email, tier: user.tier, expiresAt };
    const token = await signSessionToken(
      { userId: user.id, sessionId },
      expiresAt,
      this.deps.keys.jwtSecret,
      this.deps.config.jwt,
    );
    await this.remember(session);
    return { token, session };
  }

  /** The live session behind a token, or NotSignedIn saying why not. */
  async authenticate(token: string): Promise<ActiveSession> {
    const claims = await verifySessionToken(token, this.deps.keys.jwtSecret, this.deps.config.jwt);
    const cached = await this.fromCache(claims.sessionId);
    if (cached && cached.userId === claims.userId && cached.expiresAt > this.now()) return cached;
    const session = await this.deps.sessions.findActive(claims.sessionId, this.now());
    if (!session) throw REVOKED;
    if (session.userId !== claims.userId) throw INVALID;
    await this.remember(session);
    return session;
  }

  async revoke(sessionId: string): Promise<number> {
    const n = await this.deps.sessions.revoke(sessionId, this.now());
    await this.forget([sessionId]);
    return n;
  }

  async revokeAll(userId: string): Promise<number> {
    const ids = await this.deps.sessions.revokeAllForUser(userId, this.now());
    await this.forget(ids);
    return ids.length;
  }

  private async fromCache(sessionId: string): Promise<ActiveSession | undefined> {
    try {
      const raw = await this.deps.cache.get(this.key(sessionId));
      if (!raw) return undefined;
      const s = JSON.parse(raw) as ActiveSession;
      return typeof s.userId === 'string' && typeof s.expiresAt === 'number' ? s : undefined;
    } catch {
      return undefined; // cache down or garbage: the database decides
    }
  }

  private async remember(session: ActiveSession): Promise<void> {
    const left = Math.floor((session.expiresAt - this.now()) / 1000);
    const ttl = Math.min(left, this.deps.config.sessionCacheSeconds);
    if (ttl <= 0) return;
    try {
      await this.deps.cache.set(this.key(session.sessionId), JSON.stringify(session), ttl);
    } catch {
      /* a cache that is down only costs a database read next time */
    }
  }

  private async forget(sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    try {
      await this.deps.cache.del(...sessionIds.map((id) => this.key(id)));
    } catch (err) {
      // The database already says revoked; a cached copy lives at most sessionCacheSeconds.
      this.deps.logger.warn('could not remove revoked sessions from the cache', {
        count: sessionIds.length,
        code: (err as { code?: string }).code ?? (err as Error).message,
      });
    }
  }
}
