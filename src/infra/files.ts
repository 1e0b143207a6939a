// Private files under MONITORS_MCP_HOME: folders 0700, files 0600, written
// whole (temp file + rename) so no reader ever sees half a file.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

export function writePrivateFileAtomic(path: string, data: string): void {
  ensurePrivateDir(dirname(path));
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw err;
  }
}

/** Makes an existing file 0600 if anyone else could read it; returns true if it had to. */
export function repairPrivateFileMode(path: string): boolean {
  const st = statSync(path);
  if ((st.mode & 0o077) === 0) return false;
  chmodSync(path, 0o600);
  return true;
}
