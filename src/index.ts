#!/usr/bin/env node
// The bin: read the command, hand off to it. Each command is loaded only when
// asked for, so the MCP server starts without loading the others.
import { fail, out, runCommand } from './cli/run.js';

const COMMANDS: Record<string, () => Promise<{ default: import('./cli/run.js').Command }>> = {
  serve: () => import('./cli/serve.js'),
  setup: () => import('./cli/setup.js'),
  'test-connections': () => import('./cli/test-connections.js'),
  migrate: () => import('./cli/migrate.js'),
  login: () => import('./cli/login.js'),
  whoami: () => import('./cli/whoami.js'),
  logout: () => import('./cli/logout.js'),
  users: () => import('./cli/users.js'),
  'rotate-keys': () => import('./cli/rotate-keys.js'),
  worker: () => import('./cli/worker.js'),
};

const USAGE = `monitors-mcp: an MCP server for monitoring, driven by an AI assistant.

Usage: monitors-mcp [command] [options]

Commands:
  serve              the stdio MCP server (the default when no command is given)
  setup              migrate, create local keys, test connections, print a Claude Desktop config
  test-connections   check the database, cache and mail service, one line each
  migrate            apply pending database migrations
  login              sign in from a terminal with a code sent by email
  whoami             show who is signed in on this machine
  logout             sign out (--all: every session of this person)
  users              list users (for an operator)
  rotate-keys        re-encrypt every secret under the current MASTER_KEY
  worker             run the scheduler only (checks and results, no MCP)

Every command answers --help. Configuration comes from the environment and
.env files; see README.md or .env.example.
`;

async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    out(USAGE.trimEnd());
    return;
  }
  if (first === '--version' || first === '-v') {
    const { packageVersion } = await import('./mcp/server.js');
    const { findPackageRoot } = await import('./config.js');
    out(packageVersion(findPackageRoot()));
    return;
  }
  const name = first === undefined || first.startsWith('-') ? 'serve' : first;
  const args = name === first ? rest : argv;
  const load = COMMANDS[name];
  if (!load) fail(`Unknown command "${name.slice(0, 40)}": run \`monitors-mcp --help\` to see the commands.`, 2);
  const { default: command } = await load();
  await runCommand(command, args);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`monitors-mcp: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
