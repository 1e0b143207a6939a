// Every table of the product, created at once so later work adds columns
// rather than reshaping. Times are BIGINT milliseconds; ids are random strings.
import { sql } from 'kysely';

/**
 * @param {import('kysely').Kysely<any>} db
 * @param {{ dialect: 'mysql' | 'sqlite' }} ctx
 */
export async function up(db, { dialect }) {
  const table = (name) => {
    const t = db.schema.createTable(name).ifNotExists();
    return dialect === 'mysql' ? t.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`) : t;
  };
  // MySQL 8 has no CREATE INDEX IF NOT EXISTS; a re-run after a crash meets ER_DUP_KEYNAME instead.
  const index = async (name, on, columns) => {
    const b = db.schema.createIndex(name).on(on).columns(columns);
    try {
      await (dialect === 'mysql' ? b : b.ifNotExists()).execute();
    } catch (err) {
      if (err?.code !== 'ER_DUP_KEYNAME') throw err;
    }
  };
  const id = 'varchar(64)';
  const ms = 'bigint';

  await table('users')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('email', 'varchar(254)', (c) => c.notNull().unique())
    .addColumn('tier', 'varchar(16)', (c) => c.notNull().defaultTo('free'))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();

  await table('sessions')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('user_id', id, (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('expires_at', ms, (c) => c.notNull())
    .addColumn('revoked_at', ms)
    .addColumn('client', 'varchar(200)')
    .execute();
  await index('sessions_user_idx', 'sessions', ['user_id', 'revoked_at']);

  await table('login_codes')
    .addColumn('email', 'varchar(254)', (c) => c.primaryKey())
    .addColumn('id', id, (c) => c.notNull())
    .addColumn('code_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('expires_at', ms, (c) => c.notNull())
    .addColumn('consumed_at', ms)
    .execute();

  await table('login_throttle')
    .addColumn('email', 'varchar(254)', (c) => c.primaryKey())
    .addColumn('last_sent_at', ms)
    .addColumn('window_started_at', ms, (c) => c.notNull())
    .addColumn('window_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', ms)
    .execute();

  await table('monitors')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('user_id', id, (c) => c.notNull())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('type', 'varchar(16)', (c) => c.notNull())
    .addColumn('target', 'varchar(2048)', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('interval_seconds', 'integer', (c) => c.notNull())
    .addColumn('timeout_ms', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('unknown'))
    .addColumn('last_checked_at', ms)
    .addColumn('last_latency_ms', 'integer')
    .addColumn('last_value', 'double precision')
    .addColumn('last_error', 'text')
    .addColumn('next_run_at', ms)
    .addColumn('search_text', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn('lease_expires_at', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addUniqueConstraint('monitors_user_name_uq', ['user_id', 'name'])
    .execute();
  // search_text rides in the page index so a text search filters index entries, not whole rows.
  await index('monitors_user_page_idx', 'monitors', ['user_id', 'created_at', 'id', 'search_text']);
  await index('monitors_user_status_idx', 'monitors', ['user_id', 'status', 'created_at', 'id']);
  await index('monitors_due_idx', 'monitors', ['enabled', 'next_run_at']);

  await table('secrets')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('user_id', id, (c) => c.notNull())
    .addColumn('name', 'varchar(64)', (c) => c.notNull())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('iv', 'varchar(32)', (c) => c.notNull())
    .addColumn('tag', 'varchar(32)', (c) => c.notNull())
    .addColumn('key_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addUniqueConstraint('secrets_user_name_uq', ['user_id', 'name'])
    .execute();
  await index('secrets_key_idx', 'secrets', ['key_id']);

  await table('alert_rules')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('user_id', id, (c) => c.notNull())
    .addColumn('monitor_id', id)
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('condition_json', 'text', (c) => c.notNull())
    .addColumn('for_checks', 'integer', (c) => c.notNull().defaultTo(2))
    .addColumn('recover_checks', 'integer', (c) => c.notNull().defaultTo(2))
    .addColumn('severity', 'varchar(16)', (c) => c.notNull().defaultTo('warning'))
    .addColumn('channels_json', 'text', (c) => c.notNull())
    .addColumn('repeat_minutes', 'integer')
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await index('alert_rules_user_page_idx', 'alert_rules', ['user_id', 'created_at', 'id']);
  await index('alert_rules_monitor_idx', 'alert_rules', ['monitor_id']);

  await table('alerts')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('user_id', id, (c) => c.notNull())
    .addColumn('rule_id', id, (c) => c.notNull())
    .addColumn('monitor_id', id, (c) => c.notNull())
    .addColumn('open_key', 'varchar(140)', (c) => c.unique())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('severity', 'varchar(16)', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('opened_at', ms, (c) => c.notNull())
    .addColumn('acknowledged_at', ms)
    .addColumn('resolved_at', ms)
    .addColumn('last_notified_at', ms)
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await index('alerts_user_page_idx', 'alerts', ['user_id', 'state', 'opened_at', 'id']);
  await index('alerts_monitor_idx', 'alerts', ['monitor_id']);

  await table('monitor_results')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('user_id', id, (c) => c.notNull())
    .addColumn('monitor_id', id, (c) => c.notNull())
    .addColumn('checked_at', ms, (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('latency_ms', 'integer')
    .addColumn('status_code', 'integer')
    .addColumn('value', 'double precision')
    .addColumn('error', 'text')
    .execute();
  await index('monitor_results_monitor_idx', 'monitor_results', ['monitor_id', 'checked_at', 'id']);
  await index('monitor_results_age_idx', 'monitor_results', ['checked_at']);
}
