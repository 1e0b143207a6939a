// $MONITORS_MCP_HOME/credentials.json: the token that keeps a person signed in
// across restarts of the server. Folder 0700, file 0600 (repaired if looser),
// written whole with a temp file and a rename.
import { readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { repairPrivateFileMode, writePrivateFileAtomic } from '../infra/files.js';
import type { Logger } from '../infra/logger.js';

const CredentialsSchema = z.object({
  version: z.literal(1),
  deployment: z.string(),
  email: z.string(),
  token: z.string().min(10),
  expiresAt: z.string(),
  savedAt: z.string(),
});

export type Credentials = z.infer<typeof CredentialsSchema>;

export class CredentialsFile {
  readonly path: string;
  private cached: { stamp: string; value: Credentials | undefined } | undefined;

  constructor(
    home: string,
    private readonly deployment: string,
    private readonly logger: Logger,
  ) {
    this.path = join(home, 'credentials.json');
  }

  /** The saved sign-in for this deployment, if any. Re-read only when the file changes. */
  read(): Credentials | undefined {
    let stamp: string;
    try {
      const st = statSync(this.path, { bigint: true });
      stamp = `${st.ino}:${st.mtimeNs}:${st.size}:${st.mode}`;
    } catch {
      this.cached = undefined;
      return undefined;
    }
    if (this.cached?.stamp === stamp) return this.cached.value;
    if (repairPrivateFileMode(this.path)) {
      this.logger.warn('credentials file was readable by others; its mode is now 0600', { path: this.path });
    }
    let value: Credentials | undefined;
    try {
      const parsed = CredentialsSchema.parse(JSON.parse(readFileSync(this.path, 'utf8')));
      value = parsed.deployment === this.deployment ? parsed : undefined;
    } catch {
      this.logger.warn('credentials file is unreadable; ignoring it', { path: this.path });
      value = undefined;
    }
    const st = statSync(this.path, { bigint: true });
    this.cached = { stamp: `${st.ino}:${st.mtimeNs}:${st.size}:${st.mode}`, value };
    return value;
  }

  save(token: string, email: string, expiresAt: number): void {
    const body: Credentials = {
      version: 1,
      deployment: this.deployment,
      email,
      token,
      expiresAt: new Date(expiresAt).toISOString(),
      savedAt: new Date().toISOString(),
    };
    writePrivateFileAtomic(this.path, `${JSON.stringify(body, null, 2)}\n`);
    this.cached = undefined;
  }

  remove(): boolean {
    this.cached = undefined;
    try {
      unlinkSync(this.path);
      return true;
    } catch {
      return false;
    }
  }
}
