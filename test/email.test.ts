// Email addresses: normalized (trimmed, lower-cased) or refused with one
// sentence; and through the MCP tool over stdio, a hostile address (1 MB,
// too long, non-ASCII, two @) is an isError sentence and writes nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeEmail } from '../src/auth/email.js';
import { InvalidInput } from '../src/errors.js';
import { backends, makeEnv, type TestEnv } from './helpers/env.js';
import { countRows, dbRows } from './helpers/login.js';
import { type StdioServer, startServer } from './helpers/stdio.js';

const EMPTY = 'The email address is empty: give the address the code should go to.';
const TOO_LONG = 'That email address is longer than 254 characters: check it and try again.';
const NOT_ASCII = 'Email addresses must be plain ASCII with no spaces (no accents or other special characters).';
const ats = (n: number) => `An email address has exactly one @, and this one has ${n}.`;
const BAD_LOCAL = 'The part of the email address before the @ is not valid: check it and try again.';
const BAD_DOMAIN = 'The part of the email address after the @ is not a valid domain (like example.com).';

function refusal(raw: string): string {
  try {
    return `accepted as ${normalizeEmail(raw)}`;
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInput);
    return (err as Error).message;
  }
}

// 64 + 1 + 189 = 254 characters, every label within its limit.
const LONGEST = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;

describe('normalizeEmail', () => {
  it('trims and lower-cases', () => {
    expect(normalizeEmail('  Ada@Example.COM ')).toBe('ada@example.com');
    expect(normalizeEmail('\t\nADA.Lovelace+Tag@Sub.Example.ORG\r\n')).toBe('ada.lovelace+tag@sub.example.org');
    expect(normalizeEmail('\u00a0ada@example.com\u3000')).toBe('ada@example.com'); // no-break and ideographic spaces
  });

  it('refuses an empty or blank address', () => {
    expect(refusal('')).toBe(EMPTY);
    expect(refusal('   \t\n ')).toBe(EMPTY);
  });

  it('refuses anything but exactly one @', () => {
    expect(refusal('a@b@example.com')).toBe(ats(2));
    expect(refusal('"a@b"@example.com')).toBe(ats(2));
    expect(refusal('ada.example.com')).toBe(ats(0));
    expect(refusal('@@@')).toBe(ats(3));
  });

  it('refuses non-ASCII: accents, full-width letters, look-alikes, invisible characters, inner spaces', () => {
    expect(refusal('jörg@example.com')).toBe(NOT_ASCII);
    expect(refusal('JÖRG@EXAMPLE.COM')).toBe(NOT_ASCII);
    expect(refusal('ada@exämple.com')).toBe(NOT_ASCII);
    expect(refusal('ａｄａ@example.com')).toBe(NOT_ASCII); // full-width letters
    expect(refusal('ada＠example.com')).toBe(NOT_ASCII); // full-width @
    expect(refusal('аda@example.com')).toBe(NOT_ASCII); // Cyrillic а
    expect(refusal('ada\u200b@example.com')).toBe(NOT_ASCII); // zero-width space
    expect(refusal('ada@example.com\u200b')).toBe(NOT_ASCII); // not trimmed away
    expect(refusal('ada@exa\u0000mple.com')).toBe(NOT_ASCII);
    expect(refusal('ada lovelace@example.com')).toBe(NOT_ASCII);
    expect(refusal('ada@example.com\u{1F600}')).toBe(NOT_ASCII);
  });

  it('accepts 254 characters and refuses 255 or more, also after trimming', () => {
    expect(LONGEST).toHaveLength(254);
    expect(normalizeEmail(` ${LONGEST.toUpperCase()} `)).toBe(LONGEST);
    expect(refusal(`a${LONGEST}`)).toBe(TOO_LONG);
    expect(refusal(`${'x'.repeat(300)}@example.com`)).toBe(TOO_LONG);
  });

  it('refuses a 1 MB string quickly, in one sentence that does not echo it', () => {
    const huge = `${'a'.repeat(1 << 20)}@example.com`;
    for (const raw of [huge, '@'.repeat(1 << 20), `ada@${'a.'.repeat(1 << 19)}com`, 'é'.repeat(1 << 20)]) {
      const started = performance.now();
      const said = refusal(raw);
      expect(performance.now() - started).toBeLessThan(200);
      expect(said).toBe(TOO_LONG);
    }
    // Padding that trims away leaves a good address.
    expect(normalizeEmail(`${' '.repeat(1 << 20)}Ada@Example.com`)).toBe('ada@example.com');
  });

  it('refuses a bad local part or domain', () => {
    expect(refusal('.ada@example.com')).toBe(BAD_LOCAL);
    expect(refusal('ada..l@example.com')).toBe(BAD_LOCAL);
    expect(refusal('@example.com')).toBe(BAD_LOCAL);
    expect(refusal(`${'a'.repeat(65)}@example.com`)).toBe(BAD_LOCAL);
    expect(refusal('ada@')).toBe(BAD_DOMAIN);
    expect(refusal('ada@localhost')).toBe(BAD_DOMAIN);
    expect(refusal('ada@-example.com')).toBe(BAD_DOMAIN);
    expect(refusal('ada@example..com')).toBe(BAD_DOMAIN);
    expect(refusal(`ada@${'b'.repeat(64)}.com`)).toBe(BAD_DOMAIN);
  });

  it('is fast on inputs built to make its patterns backtrack', () => {
    const cases = [`a@${'a-'.repeat(120)}`, `a@${'a'.repeat(61)}${'.a'.repeat(90)}`, `${'a.'.repeat(32)}@${'0'.repeat(200)}`];
    for (const raw of cases) {
      const started = performance.now();
      refusal(raw);
      expect(performance.now() - started).toBeLessThan(50);
    }
  });
});

describe.each(backends)('hostile email addresses through request_login_code over stdio (%s)', (backend) => {
  let t: TestEnv | undefined;
  let server: StdioServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await t?.cleanup();
    t = undefined;
  });

  async function call(name: string, args: Record<string, unknown>) {
    const r = await server!.client.callTool({ name, arguments: args });
    const text = (r.content as { type: string; text: string }[])[0]!.text;
    return { isError: r.isError === true, text, structured: r.structuredContent };
  }

  it('answers each with one isError sentence, writes no row, and the server lives on', async () => {
    t = await makeEnv(backend);
    server = await startServer(t.env);
    // A good request first, so the database and its tables exist and hold exactly one row each.
    const ok = await call('request_login_code', { email: 'seed@example.com' });
    expect(ok.isError).toBe(false);
    expect(await countRows(t, 'login_codes')).toBe(1);
    expect(await countRows(t, 'login_throttle')).toBe(1);

    const megabyte = `${'a'.repeat(1 << 20)}@example.com`;
    const capped =
      'Invalid input for request_login_code: "email" is longer than 254 characters, so it cannot be an email address.';
    expect(await call('request_login_code', { email: megabyte })).toEqual({ isError: true, text: capped, structured: undefined });
    expect(await call('request_login_code', { email: `  ${'é'.repeat(1 << 20)}  ` })).toMatchObject({
      isError: true,
      text: capped,
    });
    expect(await call('verify_login_code', { email: megabyte, code: '123456' })).toEqual({
      isError: true,
      text: 'Invalid input for verify_login_code: "email" is longer than 254 characters, so it cannot be an email address.',
      structured: undefined,
    });

    // Under the tool's 320-character cap, the address rules give the sentence.
    const cases: [string, string][] = [
      [`${'x'.repeat(300)}@example.com`, TOO_LONG],
      ['jörg@example.com', NOT_ASCII],
      ['ｊｏｒｇ@example.com', NOT_ASCII],
      ['a@b@example.com', ats(2)],
      ['   ', EMPTY],
    ];
    for (const [email, sentence] of cases) {
      expect(await call('request_login_code', { email }), email).toEqual({
        isError: true,
        text: sentence,
        structured: undefined,
      });
      expect(await call('verify_login_code', { email, code: '123456' }), email).toEqual({
        isError: true,
        text: sentence,
        structured: undefined,
      });
    }

    // Nothing was written for any of them: no code, no throttle row, no failure counted, no user.
    expect(await countRows(t, 'login_codes')).toBe(1);
    expect(await countRows(t, 'login_throttle')).toBe(1);
    expect(await countRows(t, 'users')).toBe(0);
    const throttled = await dbRows(t, 'SELECT email, failures FROM login_throttle');
    expect(throttled.map((r) => ({ email: r.email, failures: Number(r.failures) }))).toEqual([
      { email: 'seed@example.com', failures: 0 },
    ]);
    // The server did not echo the megabyte into its log.
    expect(server.stderr().length).toBeLessThan(20_000);

    const who = await call('whoami', {});
    expect(who).toMatchObject({ isError: false, structured: { signedIn: false } });
  });
});
