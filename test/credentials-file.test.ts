// The credentials file that keeps a person signed in across restarts:
// private modes (and repaired when looser), ignored when it belongs to another
// deployment or is garbage, and never torn while several processes write it.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { CredentialsFile } from '../src/auth/credentials.js';
import { NotSignedIn } from '../src/errors.js';
import { createLogger } from '../src/infra/logger.js';
import { runTool } from '../src/mcp/define-tool.js';
import { verifyLoginCode, whoami } from '../src/mcp/tools/auth.js';
import { backends, makeApp, makeEnv, type TestEnv } from './helpers/env.js';
import { codeFromWhere } from './helpers/login.js';

const NOT_SIGNED_IN = 'Not signed in: call request_login_code with your email.';
const mode = (p: string) => statSync(p).mode & 0o777;

describe.each(backends)('credentials file (%s)', (backend) => {
  let t: TestEnv | undefined;
  let apps: App[] = [];

  afterEach(async () => {
    await Promise.allSettled(apps.map((a) => a.close()));
    apps = [];
    await t?.cleanup();
    t = undefined;
  });

  function app(env: Record<string, string>, lines?: string[]): App {
    const a = makeApp(env, lines ? createLogger('warn', (l) => lines.push(l)) : undefined);
    apps.push(a);
    return a;
  }

  /** Signs in through the verify_login_code tool, which saves the credentials file. */
  async function signIn(a: App, email = 'ada@example.com'): Promise<string> {
    const { login } = await a.services();
    const code = codeFromWhere((await login.requestCode(email)).where);
    const ctx = { app: a, signal: new AbortController().signal, progress: async () => undefined };
    const r = await runTool(verifyLoginCode, { email, code }, ctx);
    expect(r.isError).toBeFalsy();
    return readFileSync(a.credentials.path, 'utf8');
  }

  async function whoamiOf(a: App) {
    const ctx = { app: a, signal: new AbortController().signal, progress: async () => undefined };
    const r = await runTool(whoami, {}, ctx);
    return { isError: r.isError ?? false, structured: r.structuredContent };
  }

  it('is written 0600 in a 0700 folder it creates, holds what it should, and a new process reads it', async () => {
    t = await makeEnv(backend);
    const home = join(t.home, 'nested', 'home');
    const env = { ...t.env, MONITORS_MCP_HOME: home };
    const first = app(env);
    const text = await signIn(first);

    const path = join(home, 'credentials.json');
    expect(first.credentials.path).toBe(path);
    expect(mode(path)).toBe(0o600);
    expect(mode(home)).toBe(0o700);
    expect(mode(join(t.home, 'nested'))).toBe(0o700);
    expect(readdirSync(home).filter((n) => n.includes('credentials'))).toEqual(['credentials.json']);

    const saved = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(saved).sort()).toEqual(['deployment', 'email', 'expiresAt', 'savedAt', 'token', 'version']);
    expect(saved).toMatchObject({ version: 1, deployment: first.config.deployment, email: 'ada@example.com' });
    expect(String(saved.deployment)).not.toMatch(/@/); // no user or password of the database URL

    const second = app(env);
    const { session, token } = await second.currentSession();
    expect(session.email).toBe('ada@example.com');
    expect(token).toBe(saved.token);
    expect(new Date(session.expiresAt).toISOString()).toBe(saved.expiresAt);
  });

  it('tightens a looser folder to 0700 when it writes', async () => {
    t = await makeEnv(backend);
    chmodSync(t.home, 0o755);
    const a = app(t.env);
    await signIn(a);
    expect(mode(t.home)).toBe(0o700);
    expect(mode(a.credentials.path)).toBe(0o600);
  });

  it('repairs a pre-existing 0644 file to 0600 when it reads it, and says so in the log', async () => {
    t = await makeEnv(backend);
    const writer = app(t.env);
    const text = await signIn(writer);
    const path = writer.credentials.path;

    // A file copied in with a loose mode, before any process has read it.
    rmSync(path);
    writeFileSync(path, text, { mode: 0o644 });
    chmodSync(path, 0o644);
    expect(mode(path)).toBe(0o644);
    const lines: string[] = [];
    const reader = app(t.env, lines);
    expect(reader.credentials.read()?.email).toBe('ada@example.com');
    expect(mode(path)).toBe(0o600);
    expect(lines.filter((l) => l.includes('its mode is now 0600'))).toHaveLength(1);
    expect(lines.join('')).not.toContain(JSON.parse(text).token);

    // Loosened again after it was read and remembered: the next read repairs it again.
    chmodSync(path, 0o644);
    expect((await reader.currentSession()).session.email).toBe('ada@example.com');
    expect(mode(path)).toBe(0o600);
    expect(lines.filter((l) => l.includes('its mode is now 0600'))).toHaveLength(2);

    // Saving over a loose file leaves a 0600 file (a new file renamed over it, not a rewrite in place).
    chmodSync(path, 0o644);
    writer.credentials.save(JSON.parse(text).token, 'ada@example.com', Date.now() + 60_000);
    expect(mode(path)).toBe(0o600);
  });

  it('ignores a file saved for a different deployment, and leaves it in place', async () => {
    t = await makeEnv(backend);
    const a = app(t.env);
    const text = await signIn(a);
    const saved = JSON.parse(text) as Record<string, unknown>;
    const foreign = `${JSON.stringify({ ...saved, deployment: 'mysql://elsewhere.example.com:3306/monitors' }, null, 2)}\n`;
    writeFileSync(a.credentials.path, foreign);

    const b = app(t.env);
    expect(b.credentials.read()).toBeUndefined();
    await expect(b.currentSession()).rejects.toThrow(NotSignedIn);
    await expect(b.currentSession()).rejects.toThrow(NOT_SIGNED_IN);
    expect(await whoamiOf(b)).toEqual({ isError: false, structured: { signedIn: false, message: NOT_SIGNED_IN } });
    // The process that had read the good file notices the change too.
    expect(a.credentials.read()).toBeUndefined();
    expect(readFileSync(a.credentials.path, 'utf8')).toBe(foreign);
  });

  it('ignores a garbage file without crashing, and a sign-in replaces it', async () => {
    t = await makeEnv(backend);
    const a = app(t.env);
    const good = JSON.parse(await signIn(a)) as Record<string, unknown>;
    expect(a.credentials.read()?.email).toBe('ada@example.com');

    const garbage = [
      '',
      'not json',
      '{"version":1,',
      'null',
      '[]',
      '{}',
      '{"version":1}',
      JSON.stringify({ ...good, version: 2 }),
      JSON.stringify({ ...good, token: 'short' }),
      JSON.stringify({ ...good, token: 12345678901 }),
      `${JSON.stringify(good).slice(0, 40)}`,
      Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x7b, 0x22]).toString('latin1'),
    ];
    const lines: string[] = [];
    for (const [i, text] of garbage.entries()) {
      writeFileSync(a.credentials.path, `${text}${' '.repeat(i)}`, { mode: 0o600 });
      expect(a.credentials.read(), `garbage #${i}`).toBeUndefined();
      const fresh = app(t.env, lines);
      expect(fresh.credentials.read(), `garbage #${i}`).toBeUndefined();
      await expect(fresh.currentSession()).rejects.toThrow(NOT_SIGNED_IN);
      expect(await whoamiOf(fresh)).toEqual({ isError: false, structured: { signedIn: false, message: NOT_SIGNED_IN } });
    }
    expect(lines.filter((l) => l.includes('credentials file is unreadable; ignoring it'))).toHaveLength(garbage.length);

    await signIn(a, 'bea@example.com');
    expect((await app(t.env).currentSession()).session.email).toBe('bea@example.com');
  });
});

describe('credentials file under parallel writers', () => {
  let dir: string;
  let bundle: string;

  beforeAll(async () => {
    // Child processes cannot load TypeScript, so the real module is bundled for them (zod included).
    dir = mkdtempSync(join(tmpdir(), 'monitors-creds-'));
    bundle = join(dir, 'credentials.mjs');
    await build({
      entryPoints: [join(import.meta.dirname, '..', 'src', 'auth', 'credentials.ts')],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outfile: bundle,
      logLevel: 'silent',
    });
    writeFileSync(
      join(dir, 'writer.mjs'),
      `import { CredentialsFile } from './credentials.mjs';
const [home, deployment, id, ms] = process.argv.slice(2);
const quiet = () => undefined;
const logger = { debug: quiet, info: quiet, warn: quiet, error: quiet, isEnabled: () => false, setLevel: quiet, addSink: quiet };
const file = new CredentialsFile(home, deployment, logger);
const until = Date.now() + Number(ms);
let n = 0;
while (Date.now() < until) {
  // Sizes vary a lot, so a reader catching a half-written or mixed file would see broken JSON.
  file.save(id + '-token-' + n + '-' + 'x'.repeat((n * 7919) % 4000), id + '@example.com', Date.now() + 3600000);
  n++;
}
process.stdout.write(String(n));
`,
    );
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is never torn: readers always see one whole file from one writer, and no temp file is left', async () => {
    const home = join(dir, 'home');
    const deployment = 'sqlite:/tmp/monitors-parallel.db';
    const writers = ['w1', 'w2', 'w3'].map((id) => {
      const child = spawn(process.execPath, [join(dir, 'writer.mjs'), home, deployment, id, '1200'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      const exited = new Promise<{ id: string; code: number | null; writes: number; err: string }>((resolve) =>
        child.on('close', (code) => resolve({ id, code, writes: Number(out), err })),
      );
      return exited;
    });
    let running = writers.length;
    for (const w of writers) void w.then(() => running--);

    const path = join(home, 'credentials.json');
    const reader = new CredentialsFile(home, deployment, createLogger('silent'));
    let reads = 0;
    const broken: string[] = [];
    const seen = new Set<string>();
    while (running > 0) {
      for (let i = 0; i < 25; i++) {
        let text: string;
        try {
          text = readFileSync(path, 'utf8');
        } catch (err) {
          if ((err as { code?: string }).code === 'ENOENT') continue; // not written yet
          throw err;
        }
        reads++;
        try {
          const parsed = JSON.parse(text) as { email: string; token: string };
          // One writer's whole file: its token and email name the same writer.
          if (!parsed.token.startsWith(`${parsed.email.split('@')[0]}-token-`)) broken.push(text.slice(0, 80));
        } catch {
          broken.push(text.slice(0, 80));
        }
        const viaModule = reader.read();
        if (viaModule) seen.add(viaModule.email);
        else broken.push('CredentialsFile.read() found no credentials');
      }
      await new Promise((r) => setImmediate(r));
    }
    const done = await Promise.all(writers);

    for (const w of done) {
      expect(w.err, w.id).toBe('');
      expect(w.code, w.id).toBe(0);
      expect(w.writes, w.id).toBeGreaterThan(20);
    }
    expect(broken).toEqual([]);
    expect(reads).toBeGreaterThan(200);
    expect(seen.size).toBeGreaterThanOrEqual(2);
    expect(readdirSync(home)).toEqual(['credentials.json']);
    expect(mode(path)).toBe(0o600);
    expect(mode(home)).toBe(0o700);
  });

  it('a folder created for it is 0700 even when it has to create its parents', () => {
    const home = join(dir, 'deep', 'er', 'home');
    mkdirSync(join(dir, 'deep'), { mode: 0o755 });
    chmodSync(join(dir, 'deep'), 0o755);
    const file = new CredentialsFile(home, 'x', createLogger('silent'));
    file.save('a-token-of-some-length', 'ada@example.com', Date.now() + 60_000);
    expect(mode(home)).toBe(0o700);
    expect(mode(join(dir, 'deep', 'er'))).toBe(0o700);
    expect(mode(join(home, 'credentials.json'))).toBe(0o600);
    expect(file.read()?.token).toBe('a-token-of-some-length');
  });
});
