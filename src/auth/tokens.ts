// Session tokens are HS256 JWTs: sub = user id, jti = session id,
// exp = the session's expiry; iss and aud are checked on every verify.
import type { Config } from '../config.js';
import { NotSignedIn } from '../errors.js';

type Jwt = typeof import('jsonwebtoken');
let jwtModule: Promise<Jwt> | undefined;
const loadJwt = () => {
  jwtModule ??= import('jsonwebtoken').then((m) => (m as unknown as { default: Jwt }).default ?? m);
  return jwtModule;
};

export interface TokenClaims {
  userId: string;
  sessionId: string;
}

export const EXPIRED = new NotSignedIn('Your sign-in has expired: call request_login_code with your email to sign in again.');
export const INVALID = new NotSignedIn(
  'The saved sign-in is not valid for this server: call request_login_code with your email to sign in again.',
);

export async function signSessionToken(
  claims: TokenClaims,
  expiresAt: number,
  secret: string,
  jwt: Config['jwt'],
): Promise<string> {
  if (Buffer.byteLength(secret) < 32) throw new Error('JWT secret shorter than 32 bytes');
  const lib = await loadJwt();
  return lib.sign({}, secret, {
    algorithm: 'HS256',
    subject: claims.userId,
    jwtid: claims.sessionId,
    issuer: jwt.issuer,
    audience: jwt.audience,
    expiresIn: Math.max(1, Math.floor((expiresAt - Date.now()) / 1000)),
  });
}

export async function verifySessionToken(token: string, secret: string, jwt: Config['jwt']): Promise<TokenClaims> {
  const lib = await loadJwt();
  let payload: import('jsonwebtoken').JwtPayload | string;
  try {
    payload = lib.verify(token, secret, { algorithms: ['HS256'], issuer: jwt.issuer, audience: jwt.audience });
  } catch (err) {
    throw (err as Error).name === 'TokenExpiredError' ? EXPIRED : INVALID;
  }
  if (typeof payload === 'string' || !payload.sub || !payload.jti || typeof payload.exp !== 'number') throw INVALID;
  return { userId: payload.sub, sessionId: payload.jti };
}
