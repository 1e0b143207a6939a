// Bad input to every tool over a real stdio client, on both backends: wrong
// types, missing and unknown fields, empty and 1 MB strings, numbers, null and
// lists. Each answer is an isError result with one sentence naming the field,
// and the sign-in tables are exactly as they were (read straight from the
// database), so no bad call writes anything, counts a try or signs anyone out.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTables, type Snapshot, type TableReader } from './helpers/db-snapshot.js';
import { backends, makeEnv, type TestEnv } from './helpers/env.js';
import { type StdioServer, startServer } from './helpers/stdio.js';

const MB = 'x'.repeat(1024 * 1024);
const SIGNED_IN = 'ada@example.com'; // signed in before the bad calls
const PENDING = 'bob@example.com'; // has a live, unused code during the bad calls

type Case = [label: string, tool: string, args: Record<string, unknown> | undefined, text: string];

const req = (rest: string) => `Invalid input for request_login_code: ${rest}`;
const ver = (rest: string) => `Invalid input for verify_login_code: ${rest}`;
const EMPTY_EMAIL = 'The email address is empty: give the address the code should go to.';
const BAD_CODE = 'The code is the 6-digit number from the email: check it and try again.';

const cases: Case[] = [
  // request_login_code
  ['no arguments at all', 'request_login_code', undefined, req('"email" is required.')],
  ['missing email', 'request_login_code', {}, req('"email" is required.')],
  ['email as a number', 'request_login_code', { email: 42 }, req('"email" must be a string, not a number.')],
  ['email as null', 'request_login_code', { email: null }, req('"email" must be a string, not null.')],
  ['email as a list', 'request_login_code', { email: [SIGNED_IN] }, req('"email" must be a string, not a list.')],
  ['email as an object', 'request_login_code', { email: { to: SIGNED_IN } }, req('"email" must be a string, not an object.')],
  ['email as a boolean', 'request_login_code', { email: true }, req('"email" must be a string, not a boolean.')],
  ['empty email', 'request_login_code', { email: '' }, EMPTY_EMAIL],
  ['blank email', 'request_login_code', { email: '   ' }, EMPTY_EMAIL],
  [
    '1 MB email',
    'request_login_code',
    { email: MB },
    req('"email" is longer than 254 characters, so it cannot be an email address.'),
  ],
  [
    '255-character email',
    'request_login_code',
    { email: `${'a'.repeat(243)}@example.com` },
    'That email address is longer than 254 characters: check it and try again.',
  ],
  ['two @', 'request_login_code', { email: 'a@b@example.com' }, 'An email address has exactly one @, and this one has 2.'],
  ['no @', 'request_login_code', { email: 'ada.example.com' }, 'An email address has exactly one @, and this one has 0.'],
  [
    'non-ASCII email',
    'request_login_code',
    { email: 'adä@example.com' },
    'Email addresses must be plain ASCII with no spaces (no accents or other special characters).',
  ],
  ['unknown field', 'request_login_code', { email: SIGNED_IN, name: 'Ada' }, req('unknown field "name".')],
  ['a 1 MB unknown field name', 'request_login_code', { email: SIGNED_IN, [MB]: 1 }, req(`unknown field "${'x'.repeat(40)}".`)],

  // verify_login_code
  ['no fields', 'verify_login_code', {}, ver('"email" is required; "code" is required.')],
  ['missing code', 'verify_login_code', { email: PENDING }, ver('"code" is required.')],
  ['missing email', 'verify_login_code', { code: '123456' }, ver('"email" is required.')],
  ['code as a fraction', 'verify_login_code', { email: PENDING, code: 12345.5 }, ver('"code" must be a string, not a number.')],
  ['code as null', 'verify_login_code', { email: PENDING, code: null }, ver('"code" must be a string, not null.')],
  ['code as a list', 'verify_login_code', { email: PENDING, code: ['123456'] }, ver('"code" must be a string, not a list.')],
  [
    'both as numbers',
    'verify_login_code',
    { email: 7, code: 7.5 },
    ver('"email" must be a string, not a number; "code" must be a string, not a number.'),
  ],
  ['empty code', 'verify_login_code', { email: PENDING, code: '' }, BAD_CODE],
  ['five digits', 'verify_login_code', { email: PENDING, code: '12345' }, BAD_CODE],
  ['letters', 'verify_login_code', { email: PENDING, code: 'abcdef' }, BAD_CODE],
  ['1 MB code', 'verify_login_code', { email: PENDING, code: MB }, ver('"code" must be the 6-digit code from the email.')],
  ['empty email', 'verify_login_code', { email: '', code: '123456' }, EMPTY_EMAIL],
  [
    '1 MB email',
    'verify_login_code',
    { email: MB, code: '123456' },
    ver('"email" is longer than 254 characters, so it cannot be an email address.'),
  ],
  ['unknown field', 'verify_login_code', { email: PENDING, code: '123456', remember: true }, ver('unknown field "remember".')],

  // whoami
  ['unknown field', 'whoami', { verbose: true }, 'Invalid input for whoami: unknown field "verbose".'],
  ['two unknown fields', 'whoami', { a: 1, b: null }, 'Invalid input for whoami: unknown fields "a", "b".'],
  ['a 1 MB unknown value', 'whoami', { padding: MB }, 'Invalid input for whoami: unknown field "padding".'],

  // logout
  ['all as a string', 'logout', { all: 'yes' }, 'Invalid input for logout: "all" must be a boolean, not a string.'],
  ['all as a number', 'logout', { all: 1 }, 'Invalid input for logout: "all" must be a boolean, not a number.'],
  ['all as null', 'logout', { all: null }, 'Invalid input for logout: "all" must be a boolean, not null.'],
  ['all as a list', 'logout', { all: [true] }, 'Invalid input for logout: "all" must be a boolean, not a list.'],
  ['all as an empty string', 'logout', { all: '' }, 'Invalid input for logout: "all" must be a boolean, not a string.'],
  ['unknown field', 'logout', { everywhere: true }, 'Invalid input for logout: unknown field "everywhere".'],
  ['unknown 1 MB field beside all', 'logout', { all: true, note: MB }, 'Invalid input for logout: unknown field "note".'],
];

type Result = { content: { type: string; text: string }[]; isError?: boolean; structuredContent?: unknown };

describe.each(backends)('bad input over stdio (%s)', (backend) => {
  let t: TestEnv;
  let server: StdioServer;
  let tables: TableReader;
  let baseline: Snapshot;

  beforeAll(async () => {
    t = await makeEnv(backend);
    server = await startServer(t.env);
    const { client } = server;
    await client.callTool({ name: 'request_login_code', arguments: { email: SIGNED_IN } });
    const code = await server.codeFor(SIGNED_IN);
    const signed = await client.callTool({ name: 'verify_login_code', arguments: { email: SIGNED_IN, code } });
    expect(signed.structuredContent).toMatchObject({ signedIn: true });
    const pending = await client.callTool({ name: 'request_login_code', arguments: { email: PENDING } });
    expect(pending.isError).toBeFalsy();
    await server.codeFor(PENDING);

    tables = await openTables(t);
    baseline = await tables.snapshot();
    // Something to change: a used code and a live one, a user, a live session.
    expect(await tables.counts()).toEqual({ login_throttle: 2, login_codes: 2, users: 1, sessions: 1 });
  });

  afterAll(async () => {
    await tables?.close();
    await server?.close();
    await t?.cleanup();
  });

  it.each(cases)('%s to %s: one sentence naming the field, nothing written', async (_label, tool, args, text) => {
    const r = (await server.client.callTool({ name: tool, ...(args === undefined ? {} : { arguments: args }) })) as Result;
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toBeUndefined();
    expect(r.content).toHaveLength(1);
    expect(r.content[0]!.text).toBe(text);
    // One sentence: a single full stop, at the end.
    expect(r.content[0]!.text.match(/\.(\s|$)/g)).toEqual(['.']);
    expect(r.content[0]!.text.length).toBeLessThan(200);
    expect(await tables.snapshot()).toEqual(baseline);
  });

  it('still has the same person signed in and the pending code untouched after all of it', async () => {
    const who = await server.client.callTool({ name: 'whoami', arguments: {} });
    expect(who.structuredContent).toMatchObject({ signedIn: true, user: { email: SIGNED_IN } });
    expect(existsSync(join(t.home, 'credentials.json'))).toBe(true);
    const snap = await tables.snapshot();
    expect(snap).toEqual(baseline);
    expect(snap.sessions.map((s) => s.revoked_at)).toEqual([null]);
    const pending = snap.login_codes.find((c) => c.email === PENDING);
    expect(Number(pending?.attempts)).toBe(0);
    expect(pending?.consumed_at).toBeNull();
  });

  it('does see a write when there is one (a well-formed wrong code counts a try)', async () => {
    const real = await server.codeFor(PENDING);
    const code = real === '000000' ? '000001' : '000000';
    const wrong = await server.client.callTool({ name: 'verify_login_code', arguments: { email: PENDING, code } });
    expect(wrong.isError).toBe(true);
    expect((wrong.content as { text: string }[])[0]!.text).toBe('That code is wrong: 4 tries left before it stops working.');
    const snap = await tables.snapshot();
    expect(snap).not.toEqual(baseline);
    expect(Number(snap.login_codes.find((c) => c.email === PENDING)?.attempts)).toBeGreaterThanOrEqual(1);
  });
});
