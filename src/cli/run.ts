// What every command shares: flag parsing with --help, building the app, and
// turning expected failures into one sentence on stderr and a non-zero exit.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type App, createApp } from '../app.js';
import { loadConfig } from '../config.js';
import { asUnavailable, DomainError } from '../errors.js';
import { createLogger } from '../infra/logger.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command<O extends Options = Options> {
  name: string;
  summary: string;
  usage: string;
  options: O;
  run(ctx: { values: Record<string, string | boolean | undefined>; positionals: string[]; app: App }): Promise<unknown>; // a number is the exit code
}

export function defineCommand<O extends Options>(c: Command<O>): Command {
  return c as unknown as Command;
}

export function fail(message: string, code = 1): never {
  process.stderr.write(`monitors-mcp: ${message}\n`);
  process.exit(code);
}

export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export async function runCommand(command: Command, argv: string[]): Promise<void> {
  const options: Options = { ...command.options, help: { type: 'boolean', short: 'h' } };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const msg = (err as Error).message.replace(/\s+To specify.*$/s, '').replace(/\.$/, '');
    fail(`${msg} (run \`monitors-mcp ${command.name} --help\`).`, 2);
  }
  if (parsed.values.help) {
    out(`monitors-mcp ${command.name}: ${command.summary}\n\n${command.usage.trim()}`);
    return;
  }
  if (parsed.positionals.length > 0) {
    fail(
      `Unexpected argument "${String(parsed.positionals[0]).slice(0, 40)}" for ${command.name} (run \`monitors-mcp ${command.name} --help\`).`,
      2,
    );
  }
  let app: App | undefined;
  let code = 0;
  try {
    const config = loadConfig();
    const level = process.env.LOG_LEVEL ? config.logLevel : command.name === 'serve' ? 'info' : 'warn';
    app = createApp(config, createLogger(level));
    const result = await command.run({
      values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals,
      app,
    });
    if (typeof result === 'number') code = result;
  } catch (err) {
    await app?.close();
    if (err instanceof DomainError) fail(err.message);
    const unavailable = asUnavailable(err);
    if (unavailable) fail(unavailable.message);
    const fsErr = err as { code?: unknown; path?: unknown; syscall?: unknown };
    if (typeof fsErr?.code === 'string' && typeof fsErr.path === 'string') {
      fail(
        `Could not ${String(fsErr.syscall ?? 'use')} ${fsErr.path} (${fsErr.code}): check MONITORS_MCP_HOME and the folder's permissions.`,
      );
    }
    throw err;
  }
  if (command.name !== 'serve') {
    await app.close();
    process.exit(code);
  }
}
