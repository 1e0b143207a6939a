// The notification queue: alert events waiting to be sent to a channel, with
// retries. Sending goes through this table so a slow or failing channel never
// holds up a check, and a send that failed is tried again.
import { sql } from 'kysely';

/**
 * @param {import('kysely').Kysely<any>} db
 * @param {{ dialect: 'mysql' | 'sqlite' }} ctx
 */
export async function up(db, { dialect }) {
  let t = db.schema.createTable('notifications').ifNotExists();
  if (dialect === 'mysql') t = t.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  await t
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('alert_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('event', 'varchar(16)', (c) => c.notNull())
    .addColumn('channel_json', 'text', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint')
    .execute();
  const b = db.schema.createIndex('notifications_due_idx').on('notifications').columns(['status', 'next_attempt_at']);
  try {
    await (dialect === 'mysql' ? b : b.ifNotExists()).execute();
  } catch (err) {
    if (err?.code !== 'ER_DUP_KEYNAME') throw err;
  }
  const a = db.schema.createIndex('notifications_alert_idx').on('notifications').columns(['alert_id']);
  try {
    await (dialect === 'mysql' ? a : a.ifNotExists()).execute();
  } catch (err) {
    if (err?.code !== 'ER_DUP_KEYNAME') throw err;
  }
}
