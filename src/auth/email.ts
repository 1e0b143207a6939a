import { InvalidInput } from '../errors.js';

/** Trims and lower-cases an address, or says in one sentence why it cannot be one. */
export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length === 0) throw new InvalidInput('The email address is empty: give the address the code should go to.');
  if (email.length > 254) throw new InvalidInput('That email address is longer than 254 characters: check it and try again.');
  if (/[^\x21-\x7e]/.test(email)) {
    throw new InvalidInput('Email addresses must be plain ASCII with no spaces (no accents or other special characters).');
  }
  const at = email.split('@').length - 1;
  if (at !== 1) throw new InvalidInput(`An email address has exactly one @, and this one has ${at}.`);
  const [local, domain] = email.split('@') as [string, string];
  if (local.length === 0 || local.length > 64 || !/^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+$/.test(local) || /^\.|\.$|\.\./.test(local)) {
    throw new InvalidInput('The part of the email address before the @ is not valid: check it and try again.');
  }
  if (!/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(domain)) {
    throw new InvalidInput('The part of the email address after the @ is not a valid domain (like example.com).');
  }
  return email;
}
