// Secret values at rest: AES-256-GCM with a fresh 12-byte IV each time, a
// 16-byte tag that decryption insists on, and additional data binding the
// ciphertext to its owner and name, so a row copied to another user or name
// does not decrypt. Each row names the key that sealed it, so rotate-keys can
// move rows to a new MASTER_KEY while MASTER_KEY_PREVIOUS still opens them.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface Sealed {
  ciphertext: string;
  iv: string;
  tag: string;
  keyId: string;
}

export class SecretUnreadable extends Error {
  constructor(readonly reason: 'unknown_key' | 'tampered') {
    super(reason === 'unknown_key' ? 'sealed under a key this server does not have' : 'failed authentication');
  }
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('monitors-mcp secret key id').update(key).digest('hex').slice(0, 16);
}

function additionalData(userId: string, name: string): Buffer {
  return Buffer.from(JSON.stringify(['monitors-mcp secret v1', userId, name]));
}

export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  constructor(current: Buffer, previous?: Buffer) {
    if (current.length !== 32 || (previous && previous.length !== 32)) throw new Error('AES-256 keys are 32 bytes');
    this.currentKeyId = keyIdOf(current);
    this.keys.set(this.currentKeyId, current);
    if (previous) this.keys.set(keyIdOf(previous), previous);
  }

  seal(userId: string, name: string, plaintext: string): Sealed {
    const key = this.keys.get(this.currentKeyId)!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    cipher.setAAD(additionalData(userId, name));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      ciphertext: ciphertext.toString('base64'),
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      keyId: this.currentKeyId,
    };
  }

  open(userId: string, name: string, sealed: Sealed): string {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new SecretUnreadable('unknown_key');
    const iv = Buffer.from(sealed.iv, 'base64');
    const tag = Buffer.from(sealed.tag, 'base64');
    if (iv.length !== 12 || tag.length !== 16) throw new SecretUnreadable('tampered');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
      decipher.setAAD(additionalData(userId, name));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretUnreadable('tampered');
    }
  }

  canOpen(keyId: string): boolean {
    return this.keys.has(keyId);
  }
}
