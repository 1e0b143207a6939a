import { randomBytes } from 'node:crypto';

/** An opaque, non-sequential id: 128 random bits, base64url (22 characters). */
export function newId(): string {
  return randomBytes(16).toString('base64url');
}
