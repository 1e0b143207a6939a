import { join } from 'node:path';
import { openDatabase } from '../infra/database.js';
import { migrateToLatest } from '../infra/migrate.js';
import { defineCommand, out } from './run.js';

export default defineCommand({
  name: 'migrate',
  summary: 'apply pending database migrations.',
  usage: `Usage: monitors-mcp migrate

Applies the migrations in migrations/ that the database (DATABASE_URL, or the
embedded SQLite file) has not had yet. Safe to run twice, and from two
processes at once.`,
  options: {},
  async run({ app }) {
    const database = await openDatabase(app.config.database, app.logger);
    try {
      const r = await migrateToLatest(database, join(app.config.packageRoot, 'migrations'));
      if (r.applied.length === 0) {
        out(
          `Schema of ${app.config.deployment} is up to date (${r.alreadyApplied} migration${r.alreadyApplied === 1 ? '' : 's'}).`,
        );
      } else {
        out(`Applied ${r.applied.join(', ')} to ${app.config.deployment}.`);
      }
    } finally {
      await database.close();
    }
  },
});
