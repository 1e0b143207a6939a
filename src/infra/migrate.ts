// Applies migrations/*.js in name order. MySQL serialises concurrent runs
// with GET_LOCK (Kysely's adapter); SQLite with its write lock, so a second
// process that finds the database busy waits and tries again.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Kysely, type Migration, type MigrationResultSet, Migrator } from 'kysely';
import type { Database, Dialect } from './database.js';

type MigrationModule = {
  up: (db: Kysely<unknown>, ctx: { dialect: Dialect }) => Promise<void>;
  down?: (db: Kysely<unknown>, ctx: { dialect: Dialect }) => Promise<void>;
};

export interface MigrateOutcome {
  applied: string[];
  alreadyApplied: number;
}

async function loadMigrations(dir: string, dialect: Dialect): Promise<Record<string, Migration>> {
  const files = (await readdir(dir)).filter((f) => /^\d+_[\w-]+\.js$/.test(f)).sort();
  const out: Record<string, Migration> = {};
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as MigrationModule;
    const name = file.replace(/\.js$/, '');
    out[name] = {
      up: (db) => mod.up(db, { dialect }),
      ...(mod.down ? { down: (db: Kysely<unknown>) => mod.down!(db, { dialect }) } : {}),
    };
  }
  return out;
}

export async function migrateToLatest(database: Database, migrationsDir: string): Promise<MigrateOutcome> {
  const migrations = await loadMigrations(migrationsDir, database.dialect);
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
  let result: MigrationResultSet | undefined;
  for (let attempt = 0; ; attempt++) {
    result = await migrator.migrateToLatest();
    // SQLite has no migration lock across processes: a second process either finds the
    // database busy or loses the race to record the same migration (its transaction is
    // rolled back whole). Either way, trying again finds the migration applied.
    const busy =
      result.error &&
      /SQLITE_BUSY|database is locked|UNIQUE constraint failed: schema_migrations\.name/i.test(
        String((result.error as Error).message ?? result.error),
      );
    if (!busy || attempt >= 20) break;
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
  }
  if (result.error) throw result.error;
  const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  return { applied, alreadyApplied: Object.keys(migrations).length - applied.length };
}
