// The embedded default's keys, made once into $MONITORS_MCP_HOME/keys.json
// (0600). Two processes starting together agree: the file is created with a
// hard link from a complete temp file, which fails if one already exists.
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { type Config, decodeKey } from '../config.js';
import { ConfigError } from '../errors.js';
import { repairPrivateFileMode, writePrivateFileAtomic } from './files.js';

export interface Keys {
  jwtSecret: string;
  masterKey: Buffer;
  masterKeyPrevious?: Buffer;
}

const KeysFile = z.object({ version: z.literal(1), jwtSecret: z.string().min(32), masterKey: z.string() });

export function keysPath(home: string): string {
  return join(home, 'keys.json');
}

function readKeysFile(path: string): { jwtSecret: string; masterKey: Buffer } {
  repairPrivateFileMode(path);
  let parsed: z.infer<typeof KeysFile>;
  try {
    parsed = KeysFile.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    throw new ConfigError(
      `${path} is damaged: restore it from a backup, or delete it to make new keys (this signs everyone out and makes stored secrets unreadable).`,
    );
  }
  const masterKey = decodeKey(parsed.masterKey);
  if (!masterKey) throw new ConfigError(`${path} holds a master key that is not 32 bytes: restore it from a backup.`);
  return { jwtSecret: parsed.jwtSecret, masterKey };
}

/** Keys from the environment, filling in from keys.json (created if missing) in the embedded default. */
export function resolveKeys(config: Config, create = true): Keys {
  const { jwtSecret, masterKey, masterKeyPrevious } = config.secrets;
  if (jwtSecret && masterKey) return { jwtSecret, masterKey, ...(masterKeyPrevious ? { masterKeyPrevious } : {}) };
  if (config.mode === 'shared') {
    throw new ConfigError('JWT_SECRET and MASTER_KEY must both be set for a MySQL deployment.');
  }
  const path = keysPath(config.home);
  if (!existsSync(path)) {
    if (!create) throw new ConfigError(`No keys yet in ${path}: run \`monitors-mcp setup\`.`);
    const fresh = JSON.stringify(
      { version: 1, jwtSecret: randomBytes(48).toString('base64url'), masterKey: randomBytes(32).toString('base64') },
      null,
      2,
    );
    const tmp = `${path}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
    writePrivateFileAtomic(tmp, `${fresh}\n`);
    try {
      linkSync(tmp, path);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
  }
  const file = readKeysFile(path);
  return {
    jwtSecret: jwtSecret ?? file.jwtSecret,
    masterKey: masterKey ?? file.masterKey,
    ...(masterKeyPrevious ? { masterKeyPrevious } : {}),
  };
}
