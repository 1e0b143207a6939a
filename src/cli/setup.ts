import { join } from 'node:path';
import { openDatabase } from '../infra/database.js';
import { ensurePrivateDir } from '../infra/files.js';
import { keysPath, resolveKeys } from '../infra/keys.js';
import { migrateToLatest } from '../infra/migrate.js';
import { defineCommand, out } from './run.js';
import { printChecks, testConnections } from './test-connections.js';

export default defineCommand({
  name: 'setup',
  summary: 'prepare this machine and print a Claude Desktop config.',
  usage: `Usage: monitors-mcp setup   (or: npm run setup)

Creates MONITORS_MCP_HOME (0700), makes local keys if the embedded default
needs them (keys.json, 0600), applies migrations, runs test-connections, and
prints a ready Claude Desktop config block. Safe to run again; asks nothing.`,
  options: {},
  async run({ app }) {
    const { config } = app;
    ensurePrivateDir(config.home);
    out(`Home folder: ${config.home}`);
    if (config.mode === 'embedded') {
      resolveKeys(config);
      out(`Keys: ${config.secrets.jwtSecret && config.secrets.masterKey ? 'from the environment' : keysPath(config.home)}`);
    } else {
      out('Keys: JWT_SECRET and MASTER_KEY from the environment');
    }
    const database = await openDatabase(config.database, app.logger);
    try {
      const r = await migrateToLatest(database, join(config.packageRoot, 'migrations'));
      out(r.applied.length ? `Migrations applied: ${r.applied.join(', ')}` : 'Migrations: up to date');
    } finally {
      await database.close();
    }
    out('');
    const ok = printChecks(await testConnections(app));
    if (!ok) {
      out('');
      out('Setup is not complete: fix the failing connection above, then run `npm run setup` again.');
      return 1;
    }
    const entry = join(config.packageRoot, 'dist', 'index.js');
    const block = {
      mcpServers: {
        monitors: { command: process.execPath, args: [entry], env: { MONITORS_MCP_HOME: config.home } },
      },
    };
    out('');
    out("Ready. Add this to Claude Desktop's claude_desktop_config.json (Settings > Developer > Edit Config):");
    out('');
    out(JSON.stringify(block, null, 2));
    out('');
    out(`Then restart Claude Desktop and ask it: "Sign me in to monitors with <your email>".`);
    if (config.mail.kind === 'console') {
      out(`No SENDGRID_API_KEY is set, so sign-in codes are written to the server's log and to ${config.mail.outbox}.`);
    }
  },
});
