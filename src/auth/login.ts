// Sign-in by emailed code. Codes are 6 digits from a CSPRNG, stored only as
// HMAC-SHA256(server key, email:code), compared in constant time, good for
// one use and a few tries. Every limit is one conditional UPDATE.
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.js';
import { InvalidInput, LimitExceeded } from '../errors.js';
import { newId } from '../infra/ids.js';
import type { Logger } from '../infra/logger.js';
import type { Mailer } from '../infra/mailer.js';
import type { LoginCodesStore } from '../store/login-codes.js';
import type { UsersStore } from '../store/users.js';
import { normalizeEmail } from './email.js';
import { loginCodeEmail } from './login-email.js';
import type { ActiveSession, SessionService } from './sessions.js';

export interface LoginDeps {
  codes: LoginCodesStore;
  users: UsersStore;
  sessions: SessionService;
  mailer: Mailer;
  codeKey: Buffer;
  config: Pick<Config, 'login'>;
  logger: Logger;
  now?: () => number;
}

export interface CodeRequested {
  sent: true;
  expiresInSeconds: number;
  delivery: 'email' | 'console';
  /** Where the code went, for the person: an inbox, or the console log and outbox file. */
  where: string;
}

export interface SignedIn {
  token: string;
  session: ActiveSession;
  newUser: boolean;
}

const WRONG_OR_DEAD = 'That code is wrong, already used or expired: ask for a new one with request_login_code.';

export function loginCodeKey(jwtSecret: string): Buffer {
  return createHmac('sha256', jwtSecret).update('monitors-mcp login codes v1').digest();
}

export class LoginService {
  private readonly now: () => number;
  constructor(private readonly deps: LoginDeps) {
    this.now = deps.now ?? Date.now;
  }

  private hash(email: string, code: string): string {
    return createHmac('sha256', this.deps.codeKey).update(`${email}:${code}`).digest('hex');
  }

  async requestCode(rawEmail: string): Promise<CodeRequested> {
    const email = normalizeEmail(rawEmail);
    const { login } = this.deps.config;
    const now = this.now();
    const limits = { resendIntervalMs: login.resendIntervalSeconds * 1000, maxPerWindow: login.maxPerHour, windowMs: 3_600_000 };
    if (!(await this.deps.codes.takeSendSlot(email, now, limits))) {
      throw await this.whyRefused(email, now, limits);
    }
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const id = newId();
    await this.deps.codes.replace({
      email,
      id,
      code_hash: this.hash(email, code),
      attempts: 0,
      created_at: now,
      expires_at: now + login.codeTtlSeconds * 1000,
      consumed_at: null,
    });
    let where: string;
    try {
      where = await this.deps.mailer.send(loginCodeEmail(email, code, login.codeTtlSeconds));
    } catch (err) {
      // Nothing was delivered: kill the code and give the slot back so a retry is allowed.
      await this.deps.codes.remove(email, id).catch(() => undefined);
      await this.deps.codes.returnSendSlot(email, now).catch(() => undefined);
      throw err;
    }
    this.deps.logger.info('login code sent', { delivery: this.deps.mailer.kind });
    return { sent: true, expiresInSeconds: login.codeTtlSeconds, delivery: this.deps.mailer.kind, where };
  }

  private async whyRefused(
    email: string,
    now: number,
    limits: { resendIntervalMs: number; maxPerWindow: number; windowMs: number },
  ): Promise<LimitExceeded> {
    const t = await this.deps.codes.throttle(email);
    if (t?.locked_until && t.locked_until > now) {
      const min = Math.ceil((t.locked_until - now) / 60_000);
      return new LimitExceeded(
        `Too many wrong codes for this address: sign-in is locked for ${min} more minute${min === 1 ? '' : 's'}.`,
        min * 60,
      );
    }
    if (t?.last_sent_at && t.last_sent_at > now - limits.resendIntervalMs) {
      const s = Math.ceil((t.last_sent_at + limits.resendIntervalMs - now) / 1000);
      return new LimitExceeded(
        `A code was sent to this address moments ago: use it, or wait ${s} second${s === 1 ? '' : 's'} before asking for another.`,
        s,
      );
    }
    const min = t ? Math.max(1, Math.ceil((t.window_started_at + limits.windowMs - now) / 60_000)) : 60;
    return new LimitExceeded(
      `At most ${limits.maxPerWindow} codes an hour are sent to one address: try again in ${min} minute${min === 1 ? '' : 's'}.`,
      min * 60,
    );
  }

  async verifyCode(rawEmail: string, rawCode: string, client?: string): Promise<SignedIn> {
    const email = normalizeEmail(rawEmail);
    const code = rawCode.replace(/\s+/g, '');
    if (!/^\d{6}$/.test(code)) throw new InvalidInput('The code is the 6-digit number from the email: check it and try again.');
    const { login } = this.deps.config;
    const now = this.now();

    const t = await this.deps.codes.throttle(email);
    if (t?.locked_until && t.locked_until > now) {
      const min = Math.ceil((t.locked_until - now) / 60_000);
      throw new LimitExceeded(
        `Too many wrong codes for this address: sign-in is locked for ${min} more minute${min === 1 ? '' : 's'}.`,
      );
    }

    const row = await this.deps.codes.find(email);
    const expected = Buffer.from(row?.code_hash ?? '0'.repeat(64), 'hex');
    const given = Buffer.from(this.hash(email, code), 'hex');
    const matches = expected.length === given.length && timingSafeEqual(expected, given) && row !== undefined;
    const live = row !== undefined && row.consumed_at === null && row.expires_at > now && row.attempts < login.maxAttempts;

    if (!matches || !live) {
      // The failure that locks the address says so, rather than "N tries left" or "ask for a new one".
      const locks = login.lockSeconds > 0 && (t?.failures ?? 0) + 1 >= login.lockAfterFailures;
      const lockMin = Math.ceil(login.lockSeconds / 60);
      const locked = () =>
        new LimitExceeded(
          `Too many wrong codes for this address: sign-in is locked for ${lockMin} more minute${lockMin === 1 ? '' : 's'}.`,
        );
      if (row && live) {
        const counted = await this.deps.codes.countWrongTry(email, row.id, login.maxAttempts);
        await this.deps.codes.countFailure(email, now, login.lockAfterFailures, login.lockSeconds * 1000);
        if (locks) throw locked();
        const left = login.maxAttempts - row.attempts - 1;
        if (counted && left > 0) {
          throw new InvalidInput(`That code is wrong: ${left} ${left === 1 ? 'try' : 'tries'} left before it stops working.`);
        }
        throw new InvalidInput(
          'That code is wrong, and it has now had too many tries: ask for a new one with request_login_code.',
        );
      }
      await this.deps.codes.countFailure(email, now, login.lockAfterFailures, login.lockSeconds * 1000);
      if (locks) throw locked();
      throw new InvalidInput(WRONG_OR_DEAD);
    }
    if (!(await this.deps.codes.consume(email, row.id, login.maxAttempts, now))) throw new InvalidInput(WRONG_OR_DEAD);

    await this.deps.codes.clearFailures(email);
    const existing = await this.deps.users.findByEmail(email);
    const user = existing ?? (await this.deps.users.findOrCreate(email, now));
    const { token, session } = await this.deps.sessions.create(user, client);
    this.deps.logger.info('signed in', { user: user.id, newUser: !existing });
    return { token, session, newUser: !existing };
  }
}
