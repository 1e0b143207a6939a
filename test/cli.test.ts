// The command line as a person or a script meets it: `node dist/index.js
// <command>` in a child process. Help, bad input, setup, migrate (also two at
// once), the terminal sign-in, configuration errors as one sentence, and
// .env files found from any working directory.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeEnv, sharedAvailable, type TestEnv } from './helpers/env.js';
import { type CliResult, codeIn, runCli } from './helpers/run-cli.js';
import { SERVER_ENTRY } from './helpers/stdio.js';

const COMMANDS = ['serve', 'setup', 'test-connections', 'migrate', 'login', 'whoami', 'logout', 'users'];

/** An expected failure: exactly one line on stderr, prefixed, ending in a full stop, and no stack trace. */
function expectOneSentence(r: CliResult, exitCode: number): string {
  const all = `${r.stdout}\n${r.stderr}`;
  expect(r.code, all).toBe(exitCode);
  expect(all).not.toMatch(/\n\s+at /);
  expect(all).not.toMatch(/Error:|node:internal|\.js:\d+/);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^monitors-mcp: [A-Z`-].*[.)]$/);
  return lines[0]!;
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const jwtSecret = () => randomBytes(48).toString('base64url');
const masterKey = () => randomBytes(32).toString('base64');

describe('command line', () => {
  const envs: TestEnv[] = [];
  const dirs: string[] = [];
  async function env(backend: 'sqlite' | 'mysql' = 'sqlite', extra: Record<string, string> = {}): Promise<TestEnv> {
    const t = await makeEnv(backend, extra);
    envs.push(t);
    return t;
  }
  afterEach(async () => {
    await Promise.all(envs.splice(0).map((t) => t.cleanup()));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('every command answers --help with exit 0 and its usage', async () => {
    const t = await env();
    const results = await Promise.all([
      runCli(['--help'], t.env),
      ...COMMANDS.map((c) => runCli([c, '--help'], t.env)),
      runCli(['whoami', '-h'], t.env),
    ]);
    const [top, ...rest] = results;
    expect(top!.code).toBe(0);
    expect(top!.stdout).toMatch(/^monitors-mcp: /);
    expect(top!.stdout).toContain('Usage: monitors-mcp [command] [options]');
    for (const c of COMMANDS) expect(top!.stdout).toMatch(new RegExp(`^ {2}${c} `, 'm'));
    COMMANDS.forEach((c, i) => {
      const r = rest[i]!;
      expect(r.code, `${c}: ${r.stderr}`).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.startsWith(`monitors-mcp ${c}: `), r.stdout).toBe(true);
      expect(r.stdout).toContain(c === 'serve' ? 'Usage: monitors-mcp [serve]' : `Usage: monitors-mcp ${c}`);
    });
    expect(rest.at(-1)!.code).toBe(0);
    expect(rest.at(-1)!.stdout).toContain('Usage: monitors-mcp whoami');
    // --help does nothing else: no database, no keys.
    expect(existsSync(join(t.home, 'monitors.db'))).toBe(false);
    expect(existsSync(join(t.home, 'keys.json'))).toBe(false);
  });

  it('an unknown command, flag or argument is one sentence and exit 2', async () => {
    const t = await env();
    const [cmd, flag, flag2, arg] = await Promise.all([
      runCli(['frobnicate'], t.env),
      runCli(['whoami', '--bogus'], t.env),
      runCli(['migrate', '--force=yes'], t.env),
      runCli(['users', 'extra'], t.env),
    ]);
    expect(expectOneSentence(cmd!, 2)).toBe(
      'monitors-mcp: Unknown command "frobnicate": run `monitors-mcp --help` to see the commands.',
    );
    expect(expectOneSentence(flag!, 2)).toMatch(/^monitors-mcp: Unknown option '--bogus' .*monitors-mcp whoami --help/);
    expect(expectOneSentence(flag2!, 2)).toMatch(/Unknown option '--force'/);
    expect(expectOneSentence(arg!, 2)).toMatch(/Unexpected argument "extra" for users/);
    for (const r of [cmd, flag, flag2, arg]) expect(r!.stdout).toBe('');
  });

  it('setup prepares a fresh home, prints a Claude Desktop config, and is idempotent', async () => {
    const t = await env();
    const first = await runCli(['setup'], t.env);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain(`Home folder: ${t.home}`);
    expect(first.stdout).toContain('Migrations applied: 0001_initial, 0002_notifications');
    expect(first.stdout).toMatch(/^ok {3}database SQLite \S+ at sqlite:.*monitors\.db$/m);
    expect(first.stdout).toMatch(/^ok {3}cache {4}in-process cache$/m);
    expect(first.stdout).toMatch(/^ok {3}mail {5}console mailer/m);

    const block = configBlock(first.stdout);
    const server = block.mcpServers.monitors;
    expect(isAbsolute(server.command)).toBe(true);
    expect(server.command).toBe(process.execPath);
    expect(server.args).toEqual([SERVER_ENTRY]);
    expect(isAbsolute(server.args[0]!)).toBe(true);
    expect(existsSync(server.args[0]!)).toBe(true);
    expect(server.env).toEqual({ MONITORS_MCP_HOME: t.home });

    const keys = join(t.home, 'keys.json');
    expect(statSync(keys).mode & 0o777).toBe(0o600);
    expect(statSync(t.home).mode & 0o777).toBe(0o700);
    const keysBefore = readFileSync(keys, 'utf8');
    expect(JSON.parse(keysBefore)).toMatchObject({ version: 1 });
    // The keys are never printed.
    expect(first.stdout + first.stderr).not.toContain(JSON.parse(keysBefore).jwtSecret);

    const second = await runCli(['setup'], t.env);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toContain('Migrations: up to date');
    expect(configBlock(second.stdout)).toEqual(block);
    expect(readFileSync(keys, 'utf8')).toBe(keysBefore);
    expect(statSync(keys).mode & 0o777).toBe(0o600);
  });

  it('migrate is safe to run twice, and from two processes at once on one SQLite file', async () => {
    const t = await env();
    const once = await runCli(['migrate'], t.env);
    expect(once.code, once.stderr).toBe(0);
    expect(once.stdout.trim()).toBe(`Applied 0001_initial, 0002_notifications to sqlite:${join(t.home, 'monitors.db')}.`);
    const twice = await runCli(['migrate'], t.env);
    expect(twice.code, twice.stderr).toBe(0);
    expect(twice.stdout.trim()).toBe(`Schema of sqlite:${join(t.home, 'monitors.db')} is up to date (2 migrations).`);

    const fresh = await env();
    const both = await Promise.all([runCli(['migrate'], fresh.env), runCli(['migrate'], fresh.env)]);
    for (const r of both) expect(r.code, r.stderr).toBe(0);
    const applied =
      both
        .map((r) => r.stdout)
        .join('')
        .match(/^Applied 0001_initial, 0002_notifications/gm) ?? [];
    expect(applied).toHaveLength(1);
    const after = await runCli(['migrate'], fresh.env);
    expect(after.stdout).toMatch(/is up to date \(2 migrations\)/);
  });

  it.skipIf(!sharedAvailable)('two migrate processes at once on one MariaDB database both succeed', async () => {
    const t = await env('mysql');
    const both = await Promise.all([runCli(['migrate'], t.env), runCli(['migrate'], t.env)]);
    for (const r of both) expect(r.code, r.stdout + r.stderr).toBe(0);
    const applied =
      both
        .map((r) => r.stdout)
        .join('')
        .match(/^Applied 0001_initial, 0002_notifications to mysql:\/\/127\.0\.0\.1:3306\//gm) ?? [];
    expect(applied).toHaveLength(1);
    const again = await runCli(['migrate'], t.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Schema of mysql://127.0.0.1:3306/${t.databaseName} is up to date (2 migrations).`);
  });

  it('signs in from a terminal: login, whoami, users, logout', async () => {
    const t = await env();
    const email = 'terminal.user@example.com';
    const none = await runCli(['whoami'], t.env);
    expect(none.code).toBe(1);
    expect(none.stdout.trim()).toBe('Not signed in: run `monitors-mcp login --email you@example.com`.');

    const asked = await runCli(['login', '--email', ' Terminal.User@Example.com '], t.env);
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toContain(`Then run: monitors-mcp login --email Terminal.User@Example.com --code <the 6-digit code>`);
    const code = codeIn(asked.stderr, email);
    expect(asked.stdout).not.toContain(code);

    const wrong = await runCli(['login', '--email', email, '--code', code === '000000' ? '000001' : '000000'], t.env);
    expect(expectOneSentence(wrong, 1)).toMatch(/That code is wrong: 4 tries left/);

    const signed = await runCli(['login', '--email', email, '--code', code], t.env);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stdout).toMatch(new RegExp(`^Signed in as ${email.replace('.', '\\.')} \\(free\\) until \\d{4}-`));
    const cred = join(t.home, 'credentials.json');
    expect(statSync(cred).mode & 0o777).toBe(0o600);
    const token = (JSON.parse(readFileSync(cred, 'utf8')) as { token: string }).token;
    expect(signed.stdout + signed.stderr).not.toContain(token);

    const [who, whoJson, users, usersJson] = await Promise.all([
      runCli(['whoami'], t.env),
      runCli(['whoami', '--json'], t.env),
      runCli(['users'], t.env),
      runCli(['users', '--json'], t.env),
    ]);
    expect(who!.code).toBe(0);
    expect(who!.stdout).toMatch(new RegExp(`^Signed in as ${email.replace('.', '\\.')} \\(free\\) until `));
    expect(JSON.parse(whoJson!.stdout)).toMatchObject({ signedIn: true, user: { email, tier: 'free' } });
    expect(users!.code).toBe(0);
    const lines = users!.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^id\s+tier\s+email$/);
    expect(lines[1]).toMatch(new RegExp(`^\\S+\\s+free\\s+${email.replace('.', '\\.')}$`));
    const listed = JSON.parse(usersJson!.stdout.trim()) as { id: string; email: string; tier: string };
    expect(listed).toMatchObject({ email, tier: 'free' });
    expect(lines[1]!.startsWith(listed.id)).toBe(true);
    expect(listed.id).toBe(JSON.parse(whoJson!.stdout).user.id);

    const out = await runCli(['logout'], t.env);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.trim()).toBe(`Signed out ${email} (1 session revoked).`);
    expect(existsSync(cred)).toBe(false);
    const after = await runCli(['whoami'], t.env);
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/^Not signed in/);

    const [badLimit, zeroLimit, noEmail] = await Promise.all([
      runCli(['users', '--limit', 'abc'], t.env),
      runCli(['users', '--limit', '0'], t.env),
      runCli(['login'], t.env),
    ]);
    expect(expectOneSentence(badLimit!, 2)).toBe('monitors-mcp: --limit must be a whole number from 1 to 10000, got "abc".');
    expect(expectOneSentence(zeroLimit!, 2)).toMatch(/--limit must be a whole number from 1 to 10000, got "0"/);
    expect(expectOneSentence(noEmail!, 2)).toMatch(/--email/);
  });

  describe('configuration errors in a shared deployment', () => {
    const mysqlUrl = 'mysql://monitors:Sup3rSecretPw@127.0.0.1:3306/monitors_cfg';
    const cases: { name: string; vars: Record<string, string | undefined>; names: string; mustNotShow?: string }[] = [
      {
        name: 'a placeholder JWT_SECRET',
        vars: { JWT_SECRET: 'change-me-to-a-long-random-secret-value-please' },
        names: 'JWT_SECRET',
        mustNotShow: 'change-me-to-a-long-random-secret-value-please',
      },
      { name: 'a short JWT_SECRET', vars: { JWT_SECRET: 'Zq8#k2Lp9xW' }, names: 'JWT_SECRET', mustNotShow: 'Zq8#k2Lp9xW' },
      { name: 'a missing JWT_SECRET', vars: { JWT_SECRET: undefined }, names: 'JWT_SECRET' },
      {
        name: 'a MASTER_KEY of 16 bytes',
        vars: { MASTER_KEY: randomBytes(16).toString('base64') },
        names: 'MASTER_KEY',
      },
      { name: 'a MASTER_KEY that is not base64 or hex', vars: { MASTER_KEY: 'not a key at all!' }, names: 'MASTER_KEY' },
      { name: 'a missing MASTER_KEY', vars: { MASTER_KEY: undefined }, names: 'MASTER_KEY' },
    ];

    it('each bad or missing secret fails with exit 1 and a sentence naming the variable', async () => {
      const t = await env();
      const results = await Promise.all(
        cases.map((c) => {
          const vars: Record<string, string> = {
            ...t.env,
            DATABASE_URL: mysqlUrl,
            JWT_SECRET: jwtSecret(),
            MASTER_KEY: masterKey(),
          };
          for (const [k, v] of Object.entries(c.vars)) {
            if (v === undefined) delete vars[k];
            else vars[k] = v;
          }
          return runCli(['migrate'], vars);
        }),
      );
      cases.forEach((c, i) => {
        const line = expectOneSentence(results[i]!, 1);
        expect(line, c.name).toContain(c.names);
        expect(line).not.toContain('Sup3rSecretPw');
        if (c.mustNotShow) expect(line).not.toContain(c.mustNotShow);
      });
    });

    it('a bad DATABASE_URL is named without its password, and a database that is down is one sentence', async () => {
      const t = await env();
      const port = await closedPort();
      const [pg, down, downUsers] = await Promise.all([
        runCli(['migrate'], { ...t.env, DATABASE_URL: 'postgres://admin:Sup3rSecretPw@db.internal:5432/monitors' }),
        runCli(['migrate'], {
          ...t.env,
          DATABASE_URL: `mysql://monitors:Sup3rSecretPw@127.0.0.1:${port}/monitors`,
          JWT_SECRET: jwtSecret(),
          MASTER_KEY: masterKey(),
        }),
        runCli(['users'], {
          ...t.env,
          DATABASE_URL: `mysql+pymysql://monitors:Sup3rSecretPw@127.0.0.1:${port}/monitors`,
          JWT_SECRET: jwtSecret(),
          MASTER_KEY: masterKey(),
        }),
      ]);
      const pgLine = expectOneSentence(pg!, 1);
      expect(pgLine).toMatch(/^monitors-mcp: DATABASE_URL must start with mysql:\/\/, mysql\+pymysql:\/\/ or sqlite:\/\/\//);
      expect(pgLine).not.toContain('Sup3rSecretPw');
      for (const r of [down!, downUsers!]) {
        const line = expectOneSentence(r, 1);
        expect(line).toBe(
          'monitors-mcp: The database is unreachable (ECONNREFUSED): check that it is running and that DATABASE_URL is right, then try again.',
        );
        expect(r.stdout + r.stderr).not.toContain('Sup3rSecretPw');
      }
    });
  });

  it('DATABASE_URL works as sqlite:////abs/path and sqlite:///abs/path', async () => {
    const t = await env();
    const a = join(t.home, 'four-slashes.db');
    const b = join(t.home, 'three-slashes.db');
    const [four, three] = await Promise.all([
      runCli(['migrate'], { ...t.env, DATABASE_URL: `sqlite:///${a}` }),
      runCli(['migrate'], { ...t.env, DATABASE_URL: `sqlite://${b}` }),
    ]);
    expect(four!.code, four!.stderr).toBe(0);
    expect(four!.stdout.trim()).toBe(`Applied 0001_initial, 0002_notifications to sqlite:${a}.`);
    expect(three!.code, three!.stderr).toBe(0);
    expect(three!.stdout.trim()).toBe(`Applied 0001_initial, 0002_notifications to sqlite:${b}.`);
    expect(existsSync(a)).toBe(true);
    expect(existsSync(b)).toBe(true);
    expect(existsSync(join(t.home, 'monitors.db'))).toBe(false);
  });

  it.skipIf(!sharedAvailable)('DATABASE_URL works as mysql:// and as mysql+pymysql://', async () => {
    const [m, p] = await Promise.all([env('mysql'), env('mysql')]);
    const pyUrl = p.env.DATABASE_URL!.replace(/^mysql:/, 'mysql+pymysql:');
    expect(pyUrl.startsWith('mysql+pymysql://')).toBe(true);
    const [plain, py] = await Promise.all([runCli(['migrate'], m.env), runCli(['migrate'], { ...p.env, DATABASE_URL: pyUrl })]);
    expect(plain!.code, plain!.stderr).toBe(0);
    expect(plain!.stdout.trim()).toBe(`Applied 0001_initial, 0002_notifications to mysql://127.0.0.1:3306/${m.databaseName}.`);
    expect(py!.code, py!.stderr).toBe(0);
    expect(py!.stdout.trim()).toBe(`Applied 0001_initial, 0002_notifications to mysql://127.0.0.1:3306/${p.databaseName}.`);
    // And the pymysql form serves a real command too.
    const users = await runCli(['users'], { ...p.env, DATABASE_URL: pyUrl });
    expect(users.code, users.stderr).toBe(0);
    expect(users.stdout.trim()).toBe('No users yet.');
  });

  it('finds $MONITORS_MCP_HOME/.env from any working directory, and real variables win', async () => {
    const home = mkdtempSync(join(tmpdir(), 'monitors-dotenv-'));
    dirs.push(home);
    const fromFile = join(home, 'from-dotenv.db');
    const fromEnv = join(home, 'from-env.db');
    writeFileSync(
      join(home, '.env'),
      [
        '# written by the test',
        `DATABASE_URL=sqlite:///${fromFile}`,
        'LOG_LEVEL=warn',
        'MAIL_FROM="Dotenv Sender <dotenv@monitors.test>"',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    // Only MONITORS_MCP_HOME (and PATH): what a client with a bare environment gives.
    const bare = { MONITORS_MCP_HOME: home };
    const fromDotenv = await runCli(['test-connections'], bare, { cwd: '/' });
    expect(fromDotenv.code, fromDotenv.stdout + fromDotenv.stderr).toBe(0);
    expect(fromDotenv.stdout).toMatch(new RegExp(`^ok {3}database SQLite \\S+ at sqlite:${fromFile}$`, 'm'));
    expect(existsSync(fromFile)).toBe(true);

    const overridden = await runCli(['test-connections'], { ...bare, DATABASE_URL: `sqlite:///${fromEnv}` }, { cwd: '/' });
    expect(overridden.code, overridden.stdout + overridden.stderr).toBe(0);
    expect(overridden.stdout).toMatch(new RegExp(`^ok {3}database SQLite \\S+ at sqlite:${fromEnv}$`, 'm'));
    expect(overridden.stdout).not.toContain(fromFile);

    // A bad value in the file is reported like any other configuration error.
    writeFileSync(join(home, '.env'), 'DATABASE_URL=postgres://u:Sup3rSecretPw@h/db\n');
    const bad = await runCli(['migrate'], bare, { cwd: '/' });
    expect(expectOneSentence(bad, 1)).toContain('DATABASE_URL');
    expect(bad.stderr).not.toContain('Sup3rSecretPw');
    // ... unless the real environment overrides it.
    const saved = await runCli(['migrate'], { ...bare, DATABASE_URL: `sqlite:///${fromEnv}` }, { cwd: '/' });
    expect(saved.code, saved.stderr).toBe(0);
  });
});

interface DesktopConfig {
  mcpServers: { monitors: { command: string; args: string[]; env: Record<string, string> } };
}

/** The JSON block `setup` prints: from a line "{" to the next line "}". */
function configBlock(stdout: string): DesktopConfig {
  const lines = stdout.split('\n');
  const start = lines.indexOf('{');
  const end = lines.indexOf('}', start);
  expect(start, stdout).toBeGreaterThanOrEqual(0);
  expect(end, stdout).toBeGreaterThan(start);
  return JSON.parse(lines.slice(start, end + 1).join('\n')) as DesktopConfig;
}
