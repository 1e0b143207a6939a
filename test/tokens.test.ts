// Forged, stale and mismatched session tokens are refused by
// SessionService.authenticate on both backends; a session revoked by another
// process is refused on the very next call, even though it was cached here.
import { createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import type { ActiveSession, SessionService } from '../src/auth/sessions.js';
import { NotSignedIn } from '../src/errors.js';
import { backends, makeApp, makeEnv, type TestEnv } from './helpers/env.js';
import { dbRows } from './helpers/login.js';

const INVALID = 'The saved sign-in is not valid for this server: call request_login_code with your email to sign in again.';
const EXPIRED = 'Your sign-in has expired: call request_login_code with your email to sign in again.';
const REVOKED = 'You have been signed out: call request_login_code with your email to sign in again.';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

async function refusal(sessions: SessionService, token: string): Promise<string> {
  try {
    const s = await sessions.authenticate(token);
    return `accepted for ${s.email}`;
  } catch (err) {
    expect(err).toBeInstanceOf(NotSignedIn);
    return (err as Error).message;
  }
}

describe.each(backends)('session tokens (%s)', (backend) => {
  let t: TestEnv | undefined;
  let apps: App[] = [];

  afterEach(async () => {
    await Promise.allSettled(apps.map((a) => a.close()));
    apps = [];
    await t?.cleanup();
    t = undefined;
  });

  async function signedIn(extra: Record<string, string> = {}, email = 'ada@example.com') {
    t = await makeEnv(backend, extra);
    const app = makeApp(t.env);
    apps.push(app);
    const { users, sessions } = await app.services();
    const user = await users.findOrCreate(email, Date.now());
    const other = await users.findOrCreate('mallory@example.com', Date.now());
    const { token, session } = await sessions.create(user, 'test');
    const secret = app.keys().jwtSecret;
    const { issuer, audience } = app.config.jwt;
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: user.id, jti: session.sessionId, iss: issuer, aud: audience, iat: now, exp: now + 3600 };
    return { app, sessions, user, other, token, session, secret, claims };
  }

  it('accepts the real token, and refuses forged, mismatched and stale ones', async () => {
    const { sessions, other, token, session, secret, claims } = await signedIn();
    const me: ActiveSession = await sessions.authenticate(token);
    expect(me).toEqual(session);

    const sign = (payload: object, key = secret, options: jwt.SignOptions = {}) =>
      jwt.sign(payload, key, { algorithm: 'HS256', ...options });

    // A well-formed token signed the same way authenticates: the refusals below are about what was changed.
    expect(await refusal(sessions, sign(claims))).toBe('accepted for ada@example.com');

    // alg "none", with and without a signature part.
    const header = b64({ alg: 'none', typ: 'JWT' });
    expect(await refusal(sessions, `${header}.${b64(claims)}.`)).toBe(INVALID);
    expect(await refusal(sessions, `${header}.${b64(claims)}`)).toBe(INVALID);
    const upper = b64({ alg: 'None', typ: 'JWT' });
    expect(await refusal(sessions, `${upper}.${b64(claims)}.`)).toBe(INVALID);
    // HS256 header but an empty signature.
    expect(await refusal(sessions, `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.`)).toBe(INVALID);

    // The right secret but another algorithm: the algorithm is pinned.
    expect(await refusal(sessions, sign(claims, secret, { algorithm: 'HS512' }))).toBe(INVALID);
    expect(await refusal(sessions, sign(claims, secret, { algorithm: 'HS384' }))).toBe(INVALID);
    // A wrong secret, and a secret that is the right one plus a byte.
    expect(await refusal(sessions, sign(claims, 'x'.repeat(8) + secret.slice(8)))).toBe(INVALID);
    expect(await refusal(sessions, sign(claims, `${secret}!`))).toBe(INVALID);

    // A payload changed after signing (sub swapped to another user), signature kept.
    const [h, , sig] = token.split('.');
    const decoded = jwt.decode(token) as jwt.JwtPayload;
    expect(await refusal(sessions, `${h}.${b64({ ...decoded, sub: other.id })}.${sig}`)).toBe(INVALID);
    // A signature by hand over a different payload, to rule out a parsing slip.
    const body = `${h}.${b64({ ...claims, aud: 'elsewhere' })}`;
    const handSigned = `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
    expect(await refusal(sessions, handSigned)).toBe(INVALID);

    // Wrong audience, wrong issuer; both missing.
    expect(await refusal(sessions, sign({ ...claims, aud: 'another-app' }))).toBe(INVALID);
    expect(await refusal(sessions, sign({ ...claims, iss: 'someone-else' }))).toBe(INVALID);
    expect(await refusal(sessions, sign({ ...claims, aud: [claims.aud, 'x'], iss: 'someone-else' }))).toBe(INVALID);
    const { aud: _a, iss: _i, ...bare } = claims;
    expect(await refusal(sessions, sign(bare))).toBe(INVALID);

    // Expired, or no expiry at all (jsonwebtoken alone would accept that forever).
    const now = Math.floor(Date.now() / 1000);
    expect(await refusal(sessions, sign({ ...claims, iat: now - 7200, exp: now - 60 }))).toBe(EXPIRED);
    const { exp: _e, ...noExp } = claims;
    expect(await refusal(sessions, sign(noExp))).toBe(INVALID);
    // exp as a string, signed by hand (jsonwebtoken refuses to sign it).
    const stringExp = `${h}.${b64({ ...claims, exp: String(now + 3600) })}`;
    const stringExpSig = createHmac('sha256', secret).update(stringExp).digest('base64url');
    expect(await refusal(sessions, `${stringExp}.${stringExpSig}`)).toBe(INVALID);

    // No subject, no session id, or a session id that does not exist.
    const { sub: _s, ...noSub } = claims;
    expect(await refusal(sessions, sign(noSub))).toBe(INVALID);
    const { jti: _j, ...noJti } = claims;
    expect(await refusal(sessions, sign(noJti))).toBe(INVALID);
    expect(await refusal(sessions, sign({ ...claims, jti: 'no-such-session' }))).toBe(REVOKED);

    // A properly signed token whose sub is another user than the session's: refused while the
    // session is cached here (it was just authenticated) ...
    expect(await refusal(sessions, sign({ ...claims, sub: other.id }))).toBe(INVALID);
    // ... and refused by a process that must read the database for it.
    const fresh = makeApp(t!.env);
    apps.push(fresh);
    const { sessions: elsewhere } = await fresh.services();
    expect(await refusal(elsewhere, sign({ ...claims, sub: other.id }))).toBe(INVALID);
    expect(await refusal(elsewhere, 'not.a.token')).toBe(INVALID);
    expect(await refusal(elsewhere, '')).toBe(INVALID);

    // And after all that, the real token still works in both.
    expect(await sessions.authenticate(token)).toEqual(session);
    expect(await elsewhere.authenticate(token)).toEqual(session);
  });

  it('refuses a session that expired in the database although its token has not', async () => {
    // No session cache, so every call asks the database (a cached copy may live SESSION_CACHE_SECONDS).
    const { app, token, session, sessions } = await signedIn({ SESSION_CACHE_SECONDS: '0' });
    expect(await sessions.authenticate(token)).toEqual(session);
    const { database } = await app.services();
    await database.db
      .updateTable('sessions')
      .set({ expires_at: Date.now() - 1 })
      .where('id', '=', session.sessionId)
      .execute();
    expect(await refusal(sessions, token)).toBe(REVOKED);
    const other = makeApp(t!.env);
    apps.push(other);
    expect(await refusal((await other.services()).sessions, token)).toBe(REVOKED);
  });

  it('refuses a revoked session on the very next call, although this process had cached it', async () => {
    const { app, token, session, sessions } = await signedIn();
    const second = makeApp(t!.env);
    apps.push(second);
    const { sessions: elsewhere } = await second.services();

    // Cached here (create remembers it; authenticate twice to be sure it comes from the cache).
    expect(await sessions.authenticate(token)).toEqual(session);
    expect(await sessions.authenticate(token)).toEqual(session);
    const cached = await (await app.services()).cache.get(`session:${session.sessionId}`);
    expect(cached && JSON.parse(cached)).toEqual(session);

    // Revoked through the second process.
    expect(await elsewhere.revoke(session.sessionId)).toBe(1);
    const [row] = await dbRows(t!, 'SELECT revoked_at FROM sessions WHERE id = ?', [session.sessionId]);
    expect(row!.revoked_at).not.toBeNull();

    expect(await refusal(sessions, token)).toBe(REVOKED);
    expect(await refusal(elsewhere, token)).toBe(REVOKED);
    expect(await refusal(sessions, token)).toBe(REVOKED);
  });

  it('refuses every session of a person after logout of all, in the process that had them cached', async () => {
    const { user, other, token, sessions } = await signedIn();
    const { token: token2 } = await sessions.create(user, 'second device');
    const { token: hers } = await sessions.create(other, 'her laptop');
    expect((await sessions.authenticate(token)).userId).toBe(user.id);
    expect((await sessions.authenticate(token2)).userId).toBe(user.id);
    expect((await sessions.authenticate(hers)).userId).toBe(other.id);

    const second = makeApp(t!.env);
    apps.push(second);
    expect(await (await second.services()).sessions.revokeAll(user.id)).toBe(2);

    expect(await refusal(sessions, token)).toBe(REVOKED);
    expect(await refusal(sessions, token2)).toBe(REVOKED);
    // Another person's session is untouched.
    expect((await sessions.authenticate(hers)).email).toBe('mallory@example.com');
  });
});
