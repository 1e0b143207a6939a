// Runs `node dist/index.js <args>` as a child process with only the given
// environment (plus PATH), the way a terminal or a script would.
import { spawn } from 'node:child_process';
import { lastCode, SERVER_ENTRY } from './stdio.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  env: Record<string, string>,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER_ENTRY, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      cwd: options.cwd ?? process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`monitors-mcp ${args.join(' ')} did not finish in time:\n${stderr.slice(-2000)}`));
    }, options.timeoutMs ?? 20_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The console-mailer code for `email` in a CLI's stderr; throws if there is none. */
export function codeIn(stderr: string, email: string): string {
  const code = lastCode(stderr, email);
  if (!code) throw new Error(`no code for ${email} in:\n${stderr.slice(-2000)}`);
  return code;
}
