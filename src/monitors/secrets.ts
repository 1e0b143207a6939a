// A person's secrets: write-only values sealed with the SecretBox. Nothing
// here returns a value except reveal(), which only the check runner calls.
import { type Kysely, sql } from 'kysely';
import type { Config } from '../config.js';
import { InvalidInput, NotFound, Unavailable } from '../errors.js';
import { newId } from '../infra/ids.js';
import { type SecretBox, SecretUnreadable } from '../infra/secret-box.js';
import type { MonitorsStore } from '../store/monitors.js';
import { decodeCursor, encodeCursor } from '../store/pagination.js';
import type { Tables } from '../store/schema.js';
import type { SecretMeta, SecretsStore } from '../store/secrets.js';
import { SECRET_NAME } from './definition.js';
import { overLimit, planFor } from './plans.js';
import type { Owner } from './service.js';
import { iso } from './views.js';

export const MAX_SECRET_BYTES = 8192;

export interface SecretView {
  name: string;
  createdAt: string;
  updatedAt: string;
}

const view = (s: Pick<SecretMeta, 'name' | 'created_at' | 'updated_at'>): SecretView => ({
  name: s.name,
  createdAt: iso(s.created_at)!,
  updatedAt: iso(s.updated_at)!,
});

export function checkSecretName(name: string): void {
  if (!SECRET_NAME.test(name)) {
    throw new InvalidInput(
      'A secret name is 1-64 letters, digits or underscores, starting with a letter or underscore, e.g. "API_TOKEN".',
    );
  }
}

export interface SecretDeps {
  db: Kysely<Tables>;
  secrets: SecretsStore;
  monitors: MonitorsStore;
  box: () => SecretBox;
  config: Pick<Config, 'plans'>;
  now?: () => number;
}

export class SecretService {
  private readonly now: () => number;
  constructor(private readonly deps: SecretDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Creates or replaces a secret; the value is sealed before it leaves this function. */
  async set(owner: Owner, name: string, value: string): Promise<SecretView> {
    checkSecretName(name);
    if (value.length === 0) throw new InvalidInput('The secret value is empty: give the value to store.');
    if (Buffer.byteLength(value) > MAX_SECRET_BYTES)
      throw new InvalidInput(`A secret value can be at most ${MAX_SECRET_BYTES} bytes.`);
    const sealed = this.deps.box().seal(owner.userId, name, value);
    const columns = { ciphertext: sealed.ciphertext, iv: sealed.iv, tag: sealed.tag, key_id: sealed.keyId };
    const now = this.now();
    const { tier, plan } = planFor(this.deps.config, owner.tier);
    return this.deps.db.transaction().execute(async (tx) => {
      await tx.updateTable('users').set({ updated_at: sql`updated_at` }).where('id', '=', owner.userId).execute();
      const existing = await tx
        .selectFrom('secrets')
        .select(['created_at'])
        .where('user_id', '=', owner.userId)
        .where('name', '=', name)
        .executeTakeFirst();
      if (existing) {
        await tx
          .updateTable('secrets')
          .set({ ...columns, updated_at: now })
          .where('user_id', '=', owner.userId)
          .where('name', '=', name)
          .execute();
        return view({ name, created_at: existing.created_at, updated_at: now });
      }
      const { n } = await tx
        .selectFrom('secrets')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_id', '=', owner.userId)
        .executeTakeFirstOrThrow();
      if (Number(n) >= plan.maxSecrets) throw overLimit('secrets', plan.maxSecrets, tier);
      await tx
        .insertInto('secrets')
        .values({ id: newId(), user_id: owner.userId, name, ...columns, created_at: now, updated_at: now })
        .execute();
      return view({ name, created_at: now, updated_at: now });
    });
  }

  async list(owner: Owner, limit: number, cursor?: string) {
    const rows = await this.deps.secrets.list(owner.userId, limit + 1, decodeCursor(cursor));
    const page = rows.slice(0, limit);
    const keys = new Map(page.map((r) => [r.name, { at: Number(r.created_at), id: r.id }]));
    return {
      items: page.map(view),
      cursorAfter: (s: SecretView) => encodeCursor(keys.get(s.name)!),
      more: rows.length > limit,
    };
  }

  async remove(owner: Owner, name: string): Promise<void> {
    checkSecretName(name);
    const users = await this.deps.monitors.namesUsingSecret(owner.userId, name);
    if (users.length > 0) {
      const list = users
        .slice(0, 3)
        .map((n) => `"${n}"`)
        .join(', ');
      throw new InvalidInput(
        `Secret ${name} is used by monitor${users.length > 1 ? 's' : ''} ${list}${users.length > 3 ? ' and others' : ''}: change or delete ${users.length > 1 ? 'them' : 'it'} first.`,
      );
    }
    if (!(await this.deps.secrets.remove(owner.userId, name))) {
      throw new NotFound(`You have no secret named ${name}: call list_secrets to see their names.`);
    }
  }

  /**
   * Moves every secret sealed under another key to the current MASTER_KEY, in
   * batches. Each row is rewritten only if it is still under the key it was
   * read with, so a run can be interrupted and started again at any point.
   */
  async rotateAll(onBatch?: (done: number) => void): Promise<{ moved: number; unknownKey: number; damaged: number }> {
    const box = this.deps.box();
    let moved = 0;
    let unknownKey = 0;
    let damaged = 0;
    let after: string | undefined;
    for (;;) {
      const rows = await this.deps.secrets.sealedWithOtherKey(box.currentKeyId, 200, after);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (!box.canOpen(row.key_id)) {
          unknownKey++;
          continue;
        }
        let plaintext: string;
        try {
          plaintext = box.open(row.user_id, row.name, {
            ciphertext: row.ciphertext,
            iv: row.iv,
            tag: row.tag,
            keyId: row.key_id,
          });
        } catch {
          damaged++;
          continue;
        }
        const sealed = box.seal(row.user_id, row.name, plaintext);
        const ok = await this.deps.secrets.reseal(row.id, row.key_id, {
          ciphertext: sealed.ciphertext,
          iv: sealed.iv,
          tag: sealed.tag,
          key_id: sealed.keyId,
        });
        if (ok) moved++;
      }
      after = rows.at(-1)!.id;
      onBatch?.(moved);
    }
    return { moved, unknownKey, damaged };
  }

  /** The plaintext, for a check about to run. Never pass the result to a log, an error or a tool answer. */
  async reveal(owner: Pick<Owner, 'userId'>, name: string): Promise<string | undefined> {
    const row = await this.deps.secrets.find(owner.userId, name);
    if (!row) return undefined;
    try {
      return this.deps
        .box()
        .open(owner.userId, name, { ciphertext: row.ciphertext, iv: row.iv, tag: row.tag, keyId: row.key_id });
    } catch (err) {
      if (!(err instanceof SecretUnreadable)) throw err;
      throw new Unavailable(
        err.reason === 'unknown_key'
          ? `The secret ${name} was stored under a MASTER_KEY this server does not have: set it again with set_secret, or the operator restores that key (as MASTER_KEY_PREVIOUS).`
          : `The secret ${name} cannot be decrypted (it was damaged or altered): set it again with set_secret.`,
      );
    }
  }
}
