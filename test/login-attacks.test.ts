// Attacks on sign-in, on both backends: guessing codes, flooding sends,
// racing a code or a first login, probing which addresses exist, reading
// codes out of the database, and using a code after it expired.
import { createHash, createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { loginCodeKey } from '../src/auth/login.js';
import { LimitExceeded } from '../src/errors.js';
import { createLogger } from '../src/infra/logger.js';
import { runTool } from '../src/mcp/define-tool.js';
import { requestLoginCode } from '../src/mcp/tools/auth.js';
import { backends, makeApp, makeEnv, type TestEnv } from './helpers/env.js';
import {
  type Clock,
  codeFromWhere,
  countRows,
  dbRows,
  loginWithClock,
  newestCodeFor,
  outboxFileIn,
  outboxFiles,
  settle,
  wrongCode,
} from './helpers/login.js';

const WRONG_OR_DEAD = 'That code is wrong, already used or expired: ask for a new one with request_login_code.';
const TOO_MANY_TRIES = 'That code is wrong, and it has now had too many tries: ask for a new one with request_login_code.';
const triesLeft = (n: number) => `That code is wrong: ${n} ${n === 1 ? 'try' : 'tries'} left before it stops working.`;
const LOCKED_60 = 'Too many wrong codes for this address: sign-in is locked for 60 more minutes.';
const resendWait = (s: number) =>
  `A code was sent to this address moments ago: use it, or wait ${s} second${s === 1 ? '' : 's'} before asking for another.`;
const hourly = (max: number, min: number) =>
  `At most ${max} codes an hour are sent to one address: try again in ${min} minute${min === 1 ? '' : 's'}.`;

describe.each(backends)('sign-in attacks (%s)', (backend) => {
  let t: TestEnv | undefined;
  let apps: App[] = [];

  afterEach(async () => {
    await Promise.allSettled(apps.map((a) => a.close()));
    apps = [];
    await t?.cleanup();
    t = undefined;
  });

  async function open(extra: Record<string, string> = {}, count = 1): Promise<App[]> {
    t = await makeEnv(backend, extra);
    const env = t.env;
    const made = Array.from({ length: count }, () => makeApp(env));
    apps.push(...made);
    // Open (and migrate) one first, so the others find the schema in place.
    await made[0]!.services();
    await Promise.all(made.slice(1).map((a) => a.services()));
    return made;
  }

  async function requestAndRead(app: App, email: string): Promise<string> {
    const { login } = await app.services();
    const r = await login.requestCode(email);
    return codeFromWhere(r.where);
  }

  it('five wrong codes kill the code: each says how many tries are left, then the right code is refused', async () => {
    const [app] = await open();
    const { login } = await app!.services();
    const code = await requestAndRead(app!, 'ada@example.com');
    expect(newestCodeFor(t!.home, 'ada@example.com')).toBe(code);

    const said: string[] = [];
    for (let i = 1; i <= 5; i++) {
      await login.verifyCode('ada@example.com', wrongCode(code, i)).then(
        () => said.push('accepted'),
        (err: Error) => said.push(err.message),
      );
    }
    expect(said).toEqual([triesLeft(4), triesLeft(3), triesLeft(2), triesLeft(1), TOO_MANY_TRIES]);

    await expect(login.verifyCode('ada@example.com', code)).rejects.toThrow(WRONG_OR_DEAD);
    await expect(login.verifyCode('ADA@example.com ', wrongCode(code, 6))).rejects.toThrow(WRONG_OR_DEAD);

    const rows = await dbRows(t!, 'SELECT attempts, consumed_at FROM login_codes WHERE email = ?', ['ada@example.com']);
    expect(rows.map((r) => ({ attempts: Number(r.attempts), consumed_at: r.consumed_at }))).toEqual([
      { attempts: 5, consumed_at: null },
    ]);
    expect(await countRows(t!, 'sessions')).toBe(0);
    expect(await countRows(t!, 'users')).toBe(0);
  });

  it('wrong tries are counted atomically: 12 parallel wrong codes from 3 processes use up exactly 5 tries', async () => {
    const made = await open({}, 3);
    const code = await requestAndRead(made[0]!, 'bob@example.com');
    const logins = await Promise.all(made.map(async (a) => (await a.services()).login));
    const { ok, errors } = await settle(
      Array.from({ length: 12 }, (_, i) => logins[i % 3]!.verifyCode('bob@example.com', wrongCode(code, i + 1))),
    );
    expect(ok).toHaveLength(0);
    expect(errors).toHaveLength(12);
    const allowed = new Set([triesLeft(4), triesLeft(3), triesLeft(2), triesLeft(1), TOO_MANY_TRIES, WRONG_OR_DEAD]);
    expect(errors.filter((m) => !allowed.has(m))).toEqual([]);
    const [row] = await dbRows(t!, 'SELECT attempts FROM login_codes WHERE email = ?', ['bob@example.com']);
    expect(Number(row!.attempts)).toBe(5);
    await expect(logins[1]!.verifyCode('bob@example.com', code)).rejects.toThrow(WRONG_OR_DEAD);
    expect(await countRows(t!, 'sessions')).toBe(0);
  });

  it('a new code kills the old one, and a code works only once', async () => {
    const [app] = await open({ LOGIN_RESEND_INTERVAL_SECONDS: '0', LOGIN_MAX_PER_HOUR: '20' });
    const { login } = await app!.services();
    const first = await requestAndRead(app!, 'cy@example.com');
    let second = await requestAndRead(app!, 'cy@example.com');
    for (let i = 0; i < 3 && second === first; i++) second = await requestAndRead(app!, 'cy@example.com');
    expect(second).not.toBe(first);
    expect(await countRows(t!, 'login_codes', 'cy@example.com')).toBe(1);

    await expect(login.verifyCode('cy@example.com', first)).rejects.toThrow(triesLeft(4));
    const signed = await login.verifyCode('cy@example.com', second);
    expect(signed.session.email).toBe('cy@example.com');
    expect(signed.newUser).toBe(true);
    await expect(login.verifyCode('cy@example.com', second)).rejects.toThrow(WRONG_OR_DEAD);
    await expect(login.verifyCode('cy@example.com', first)).rejects.toThrow(WRONG_OR_DEAD);
    expect(await countRows(t!, 'sessions')).toBe(1);
  });

  it('one code per resend interval, with a sentence saying how long to wait; a refused resend keeps the live code', async () => {
    const [app] = await open(); // default: one code per 60 s
    const clock: Clock = { now: Date.now() };
    const t0 = clock.now;
    const login = await loginWithClock(app!, clock);
    const r = await login.requestCode('dee@example.com');
    expect(r).toMatchObject({ sent: true, expiresInSeconds: 600, delivery: 'console' });
    const code = codeFromWhere(r.where);

    const refusedAt = async (ms: number) => {
      clock.now = t0 + ms;
      const err = await login.requestCode('dee@example.com').then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(LimitExceeded);
      return { message: err!.message, retryAfter: (err as LimitExceeded).retryAfterSeconds };
    };
    expect(await refusedAt(0)).toEqual({ message: resendWait(60), retryAfter: 60 });
    expect(await refusedAt(1_000)).toEqual({ message: resendWait(59), retryAfter: 59 });
    expect(await refusedAt(59_001)).toEqual({ message: resendWait(1), retryAfter: 1 });
    expect(outboxFiles(t!.home)).toHaveLength(1);

    // Another address is not held back by this one.
    clock.now = t0 + 1;
    await expect(login.requestCode('eve@example.com')).resolves.toMatchObject({ sent: true });

    clock.now = t0 + 60_000;
    const again = await login.requestCode('dee@example.com');
    expect(outboxFiles(t!.home)).toHaveLength(3);
    const newest = codeFromWhere(again.where);
    const signed = await login.verifyCode('dee@example.com', newest);
    expect(signed.session.email).toBe('dee@example.com');
    if (newest !== code) await expect(login.verifyCode('dee@example.com', code)).rejects.toThrow(WRONG_OR_DEAD);

    // Through the app's own clock and configuration too: an immediate second request is refused.
    const { login: real } = await app!.services();
    await real.requestCode('fay@example.com');
    await expect(real.requestCode('FAY@example.com')).rejects.toThrow(
      /^A code was sent to this address moments ago: use it, or wait (59|60) seconds before asking for another\.$/,
    );
  });

  it('at most LOGIN_MAX_PER_HOUR codes an hour, with a sentence saying when to try again', async () => {
    const [app] = await open({ LOGIN_RESEND_INTERVAL_SECONDS: '0', LOGIN_MAX_PER_HOUR: '3' });
    const clock: Clock = { now: Date.now() };
    const t0 = clock.now;
    const login = await loginWithClock(app!, clock);
    for (let i = 0; i < 3; i++) {
      clock.now = t0 + i;
      await expect(login.requestCode('gus@example.com')).resolves.toMatchObject({ sent: true });
    }
    const refusedAt = async (ms: number) => {
      clock.now = t0 + ms;
      return login.requestCode('gus@example.com').then(
        () => 'sent',
        (e: Error) => e.message,
      );
    };
    expect(await refusedAt(3)).toBe(hourly(3, 60));
    expect(await refusedAt(30 * 60_000)).toBe(hourly(3, 30));
    expect(await refusedAt(59 * 60_000 + 1)).toBe(hourly(3, 1));
    expect(await countRows(t!, 'login_codes', 'gus@example.com')).toBe(1);
    expect(outboxFiles(t!.home)).toHaveLength(3);
    // The window has passed: sending works again, and the new window counts from here.
    expect(await refusedAt(3_600_000)).toBe('sent');
    expect(await refusedAt(3_600_001)).toBe('sent');
    expect(await refusedAt(3_600_002)).toBe('sent');
    expect(await refusedAt(3_600_003)).toBe(hourly(3, 60));

    // The real app with the same settings: the fourth request in a row is refused.
    const { login: real } = await app!.services();
    for (let i = 0; i < 3; i++) await real.requestCode('hal@example.com');
    await expect(real.requestCode('hal@example.com')).rejects.toThrow(hourly(3, 60));
  });

  it('send limits hold under parallel requests: one per interval, LOGIN_MAX_PER_HOUR per hour', async () => {
    // Three apps on one database, as three server processes would be.
    const count = 3;
    const made = await open({ LOGIN_MAX_PER_HOUR: '3' }, count);
    // One fixed clock for all, so only the limits decide (not which call read Date.now() first).
    const clock: Clock = { now: Date.now() };
    const logins = await Promise.all(made.map((a) => loginWithClock(a, clock)));

    const burst = await settle(Array.from({ length: 10 }, (_, i) => logins[i % count]!.requestCode('ivy@example.com')));
    expect(burst.ok).toHaveLength(1);
    expect(burst.errors).toHaveLength(9);
    expect(burst.errors).toEqual(Array(9).fill(resendWait(60)));
    expect(await countRows(t!, 'login_codes', 'ivy@example.com')).toBe(1);

    // With no resend interval, the hourly cap alone: exactly 3 of 10 parallel requests get through.
    const t2 = await makeEnv(backend, { LOGIN_RESEND_INTERVAL_SECONDS: '0', LOGIN_MAX_PER_HOUR: '3' });
    try {
      const more = Array.from({ length: count }, () => makeApp(t2.env));
      apps.push(...more);
      await more[0]!.services();
      const logins2 = await Promise.all(more.map((a) => loginWithClock(a, clock)));
      const capped = await settle(Array.from({ length: 10 }, (_, i) => logins2[i % count]!.requestCode('jo@example.com')));
      expect(capped.ok).toHaveLength(3);
      expect(capped.errors).toEqual(Array(7).fill(hourly(3, 60)));
      expect(outboxFiles(t2.home)).toHaveLength(3);
      expect(await countRows(t2, 'login_codes', 'jo@example.com')).toBe(1);
      const [th] = await dbRows(t2, 'SELECT window_count FROM login_throttle WHERE email = ?', ['jo@example.com']);
      expect(Number(th!.window_count)).toBe(3);
    } finally {
      await Promise.allSettled(apps.splice(count).map((a) => a.close()));
      await t2.cleanup();
    }
  });

  it('locks an address after LOGIN_LOCK_AFTER_FAILURES failures in a row, for LOGIN_LOCK_SECONDS', async () => {
    const [app] = await open({ LOGIN_LOCK_AFTER_FAILURES: '3', LOGIN_RESEND_INTERVAL_SECONDS: '0' });
    const clock: Clock = { now: Date.now() };
    const t0 = clock.now;
    const login = await loginWithClock(app!, clock);

    // Failures in a row, not in total: a success in between starts the count again.
    let code = codeFromWhere((await login.requestCode('kim@example.com')).where);
    await expect(login.verifyCode('kim@example.com', wrongCode(code, 1))).rejects.toThrow(triesLeft(4));
    await expect(login.verifyCode('kim@example.com', wrongCode(code, 2))).rejects.toThrow(triesLeft(3));
    await login.verifyCode('kim@example.com', code);
    code = codeFromWhere((await login.requestCode('kim@example.com')).where);
    await expect(login.verifyCode('kim@example.com', wrongCode(code, 1))).rejects.toThrow(triesLeft(4));
    await expect(login.verifyCode('kim@example.com', wrongCode(code, 2))).rejects.toThrow(triesLeft(3));
    // The third failure in a row locks the address, and the answer says so rather than "2 tries left".
    await expect(login.verifyCode('kim@example.com', wrongCode(code, 3))).rejects.toThrow(LOCKED_60);

    // Locked: the right code, and asking for a new one, are refused with the same sentence.
    await expect(login.verifyCode('kim@example.com', code)).rejects.toThrow(LOCKED_60);
    await expect(login.requestCode('kim@example.com')).rejects.toThrow(LOCKED_60);
    clock.now = t0 + 30 * 60_000;
    await expect(login.requestCode('kim@example.com')).rejects.toThrow(
      'Too many wrong codes for this address: sign-in is locked for 30 more minutes.',
    );
    expect(await countRows(t!, 'sessions')).toBe(1);
    // Another address is not locked.
    await expect(login.requestCode('lee@example.com')).resolves.toMatchObject({ sent: true });

    // Failures without any code count as well (guessing against an address with no code).
    for (let i = 0; i < 2; i++) {
      await expect(login.verifyCode('lee2@example.com', '123456')).rejects.toThrow(WRONG_OR_DEAD);
    }
    await expect(login.verifyCode('lee2@example.com', '123456')).rejects.toThrow(LOCKED_60);
    await expect(login.requestCode('lee2@example.com')).rejects.toThrow(LOCKED_60);

    // After the lock runs out, sign-in works again.
    clock.now = t0 + 3_600_000 + 1;
    code = codeFromWhere((await login.requestCode('kim@example.com')).where);
    const signed = await login.verifyCode('kim@example.com', code);
    expect(signed.newUser).toBe(false);
    expect(await countRows(t!, 'sessions')).toBe(2);

    // The real app with the same setting: three wrong codes lock it.
    const { login: real } = await app!.services();
    const c = await requestAndRead(app!, 'max@example.com');
    await expect(real.verifyCode('max@example.com', wrongCode(c, 1))).rejects.toThrow(triesLeft(4));
    await expect(real.verifyCode('max@example.com', wrongCode(c, 2))).rejects.toThrow(triesLeft(3));
    await expect(real.verifyCode('max@example.com', wrongCode(c, 3))).rejects.toThrow(LOCKED_60);
    await expect(real.verifyCode('max@example.com', c)).rejects.toThrow(LOCKED_60);
  });

  it('20 parallel verifies of one code give exactly one session', async () => {
    const [app] = await open();
    const { login } = await app!.services();
    const code = await requestAndRead(app!, 'nia@example.com');
    const { ok, errors } = await settle(Array.from({ length: 20 }, () => login.verifyCode('nia@example.com', code)));
    expect(ok).toHaveLength(1);
    expect(errors).toEqual(Array(19).fill(WRONG_OR_DEAD));
    expect(await countRows(t!, 'sessions')).toBe(1);
    expect(await countRows(t!, 'users')).toBe(1);
    const [s] = await dbRows(t!, 'SELECT id, user_id FROM sessions');
    expect(s).toMatchObject({ id: ok[0]!.session.sessionId, user_id: ok[0]!.session.userId });
  });

  it('5 processes racing a first login of one new address make exactly one user and one session', async () => {
    const made = await open({}, 5);
    const code = await requestAndRead(made[2]!, 'oli@example.com');
    const logins = await Promise.all(made.map(async (a) => (await a.services()).login));
    // Each process verifies the same code four times at once.
    const { ok, errors } = await settle(
      Array.from({ length: 20 }, (_, i) => logins[i % 5]!.verifyCode('Oli@Example.com', code, `p${i % 5}`)),
    );
    expect(ok).toHaveLength(1);
    expect(ok[0]!.newUser).toBe(true);
    expect(errors).toEqual(Array(19).fill(WRONG_OR_DEAD));
    expect(await countRows(t!, 'users')).toBe(1);
    expect(await countRows(t!, 'sessions')).toBe(1);

    // The user row itself, created by five processes at once, twice each: one row, one id for all.
    const users = await Promise.all(made.map(async (a) => (await a.services()).users));
    const now = Date.now();
    const rows = await Promise.all(Array.from({ length: 10 }, (_, i) => users[i % 5]!.findOrCreate('pam@example.com', now)));
    expect(new Set(rows.map((r) => r.id)).size).toBe(1);
    expect(rows.every((r) => r.email === 'pam@example.com' && r.tier === 'free')).toBe(true);
    expect(await countRows(t!, 'users', 'pam@example.com')).toBe(1);
    expect(await countRows(t!, 'users')).toBe(2);
  });

  it('answers request_login_code the same for a known and an unknown address, and creates no user', async () => {
    const [app] = await open();
    // The known address signed in two hours ago, so no send limit of that sign-in still applies.
    const past = await loginWithClock(app!, { now: Date.now() - 2 * 3_600_000 });
    const old = codeFromWhere((await past.requestCode('known@example.com')).where);
    await past.verifyCode('known@example.com', old);
    expect(await countRows(t!, 'users')).toBe(1);

    const ctx = { app: app!, signal: new AbortController().signal, progress: async () => undefined };
    const ask = async (email: string) => {
      const r = await runTool(requestLoginCode, { email }, ctx);
      const s = r.structuredContent as Record<string, unknown> | undefined;
      const file = s ? outboxFileIn(String(s.message).replace(/\. The code works.*$/, '')) : '';
      const blank = (text: string) => text.split(file).join('<outbox file>');
      return {
        isError: r.isError ?? false,
        keys: s ? Object.keys(s) : [],
        structured: s ? { ...s, message: blank(String(s.message)) } : undefined,
        text: blank(r.content[0]!.text),
      };
    };
    const known = await ask('known@example.com');
    const unknown = await ask('stranger@example.com');
    expect(unknown).toEqual(known);
    expect(known.keys).toEqual(['sent', 'expiresInSeconds', 'delivery', 'message']);
    expect(known.structured).toEqual({
      sent: true,
      expiresInSeconds: 600,
      delivery: 'console',
      message:
        "No mail service is configured, so the message was written to the server's stderr log and to <outbox file>. " +
        'The code works for 10 minutes: ask the person for it, then call verify_login_code.',
    });
    expect(JSON.parse(known.text)).toEqual(known.structured);

    // Refusals read the same too.
    const knownAgain = await runTool(requestLoginCode, { email: 'known@example.com' }, ctx);
    const unknownAgain = await runTool(requestLoginCode, { email: 'stranger@example.com' }, ctx);
    expect(unknownAgain).toEqual(knownAgain);
    expect(knownAgain.isError).toBe(true);
    expect(knownAgain.content[0]!.text).toMatch(/^A code was sent to this address moments ago/);

    expect(await countRows(t!, 'users')).toBe(1);
    expect(await countRows(t!, 'users', 'stranger@example.com')).toBe(0);
  });

  it('stores codes only as an HMAC: the digits are in no column, and not in the logs either', async () => {
    t = await makeEnv(backend);
    const lines: string[] = [];
    const app = makeApp(
      t.env,
      createLogger('debug', (l) => lines.push(l)),
    );
    apps.push(app);
    const { login } = await app.services();
    const code = await requestAndRead(app, 'quin@example.com');

    const rows = await dbRows(t, 'SELECT * FROM login_codes');
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(Object.keys(row).sort()).toEqual(['attempts', 'code_hash', 'consumed_at', 'created_at', 'email', 'expires_at', 'id']);
    for (const [column, value] of Object.entries(row)) {
      expect(String(value), column).not.toBe(code);
      if (typeof value === 'string') expect(value, column).not.toContain(code);
    }
    const hash = String(row.code_hash);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toBe(createHash('sha256').update(code).digest('hex'));
    expect(hash).not.toBe(createHash('sha256').update(`quin@example.com:${code}`).digest('hex'));
    // HMAC-SHA256 under a key derived from the server secret, over (normalized email, code).
    const key = loginCodeKey(app.keys().jwtSecret);
    expect(hash).toBe(createHmac('sha256', key).update(`quin@example.com:${code}`).digest('hex'));

    const { token } = await login.verifyCode('QUIN@example.com', code);
    const logged = lines.join('');
    expect(lines.length).toBeGreaterThan(3); // debug logs every statement
    expect(logged).not.toContain(code);
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(hash);
  });

  it('refuses an expired code, to the millisecond and through the database', async () => {
    const [app] = await open();
    const clock: Clock = { now: Date.now() };
    const t0 = clock.now;
    const login = await loginWithClock(app!, clock);
    const first = codeFromWhere((await login.requestCode('ros@example.com')).where);
    clock.now = t0 + 600_000; // LOGIN_CODE_TTL_SECONDS default: 600
    await expect(login.verifyCode('ros@example.com', first)).rejects.toThrow(WRONG_OR_DEAD);
    const [dead] = await dbRows(t!, 'SELECT attempts, consumed_at FROM login_codes WHERE email = ?', ['ros@example.com']);
    expect({ attempts: Number(dead!.attempts), consumed_at: dead!.consumed_at }).toEqual({ attempts: 0, consumed_at: null });

    const second = codeFromWhere((await login.requestCode('ros@example.com')).where);
    clock.now = t0 + 600_000 + 599_999;
    await expect(login.verifyCode('ros@example.com', second)).resolves.toMatchObject({ newUser: true });

    // With the real clock: a code whose expiry has passed in the database is refused.
    const { login: real, database } = await app!.services();
    const third = await requestAndRead(app!, 'sam@example.com');
    await database.db
      .updateTable('login_codes')
      .set({ expires_at: Date.now() - 1 })
      .where('email', '=', 'sam@example.com')
      .execute();
    await expect(real.verifyCode('sam@example.com', third)).rejects.toThrow(WRONG_OR_DEAD);
    expect(await countRows(t!, 'users', 'sam@example.com')).toBe(0);
    expect(await countRows(t!, 'sessions')).toBe(1);
  });
});
