// Domain errors: the few kinds of problem a person can act on. The faces (MCP
// tools, CLI) turn them into one sentence each; anything else is a bug.

export abstract class DomainError extends Error {
  abstract readonly kind: string;
}

export class InvalidInput extends DomainError {
  readonly kind = 'invalid_input';
}

export class NotFound extends DomainError {
  readonly kind = 'not_found';
}

export class Forbidden extends DomainError {
  readonly kind = 'forbidden';
}

export class NotSignedIn extends DomainError {
  readonly kind = 'not_signed_in';
  constructor(message = 'Not signed in: call request_login_code with your email.') {
    super(message);
  }
}

export class LimitExceeded extends DomainError {
  readonly kind = 'limit_exceeded';
  /** Seconds until trying again can succeed, when known. */
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export class Unavailable extends DomainError {
  readonly kind = 'unavailable';
}

export class ConfigError extends DomainError {
  readonly kind = 'config';
}

const DB_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'SQLITE_CANTOPEN',
  'SQLITE_BUSY',
  'SQLITE_READONLY',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
]);

/** Turns a driver error into an Unavailable with a sentence, or returns undefined if it is not one. */
export function asUnavailable(err: unknown): Unavailable | undefined {
  if (err instanceof Unavailable) return err;
  const code = errorCode(err);
  if (!code) {
    const msg = err instanceof Error ? err.message : '';
    if (/Pool is closed|connection is in closed state|Can't add new command when connection is in closed state/i.test(msg)) {
      return new Unavailable('The database connection was closed; try again in a moment.');
    }
    return undefined;
  }
  if (!DB_NETWORK_CODES.has(code) && !code.startsWith('SQLITE_CANTOPEN') && !code.startsWith('SQLITE_IOERR')) {
    return undefined;
  }
  if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR') {
    return new Unavailable(`The database refused the credentials (${code}): check the user and password in DATABASE_URL.`);
  }
  if (code === 'ER_BAD_DB_ERROR') {
    return new Unavailable('The database named in DATABASE_URL does not exist: create it, then run `monitors-mcp migrate`.');
  }
  if (code.startsWith('SQLITE')) {
    return new Unavailable(`The SQLite database could not be used (${code}): check the file and its folder, then try again.`);
  }
  return new Unavailable(
    `The database is unreachable (${code}): check that it is running and that DATABASE_URL is right, then try again.`,
  );
}

export function errorCode(err: unknown): string | undefined {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const cause = (err as { cause?: unknown }).cause;
    if (cause && cause !== err) return errorCode(cause);
    // mysql2 pools surface AggregateError on connect failures
    const errors = (err as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) return errorCode(errors[0]);
  }
  return undefined;
}
