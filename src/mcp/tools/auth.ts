// Sign-in tools: request_login_code, verify_login_code, whoami, logout.
import { z } from 'zod';
import { NotSignedIn } from '../../errors.js';
import { defineTool } from '../define-tool.js';

const Email = z
  .string()
  .max(320, 'is longer than 254 characters, so it cannot be an email address')
  .describe('The email address to sign in with, e.g. "ada@example.com".');

const User = z
  .object({
    id: z.string().describe('Opaque user id.'),
    email: z.string().describe('The signed-in email address, lower-cased.'),
    tier: z.string().describe('The plan: "free" or "pro".'),
  })
  .describe('The signed-in person.');

const ExpiresAt = z.string().describe('When the sign-in expires (ISO 8601, UTC).');

export const requestLoginCode = defineTool({
  name: 'request_login_code',
  title: 'Request a sign-in code',
  description:
    'Start signing in: emails a 6-digit code to the address. Use this first when the person is not signed in ' +
    '(any other tool answers "Not signed in"). Then ask the person for the code and call verify_login_code. ' +
    'The answer is the same whether or not an account exists. Example: {"email": "ada@example.com"}.',
  input: z.strictObject({ email: Email }),
  output: z.object({
    sent: z.boolean().describe('True when the code was handed to the mail service.'),
    expiresInSeconds: z.number().int().describe('How long the code works.'),
    delivery: z
      .enum(['email', 'console'])
      .describe('"email" (SendGrid) or "console" (no mail service: written to the server log).'),
    message: z.string().describe('A sentence for the person saying where to find the code.'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  requiresSignIn: false,
  async handler({ email }, { app }) {
    const { login } = await app.services();
    const r = await login.requestCode(email);
    const minutes = Math.round(r.expiresInSeconds / 60);
    return {
      sent: true,
      expiresInSeconds: r.expiresInSeconds,
      delivery: r.delivery,
      message: `${r.where}. The code works for ${minutes} minutes: ask the person for it, then call verify_login_code.`,
    };
  },
});

export const verifyLoginCode = defineTool({
  name: 'verify_login_code',
  title: 'Finish signing in with the code',
  description:
    'Finish signing in with the 6-digit code the person received after request_login_code. The first sign-in of ' +
    'an address creates the account. The person stays signed in across restarts until logout or expiry. ' +
    'Example: {"email": "ada@example.com", "code": "482913"}.',
  input: z.strictObject({
    email: Email,
    // Some clients send digits as a number; 12345 then stands for the code "012345".
    code: z
      .union([
        z.string().max(32, 'must be the 6-digit code from the email'),
        z
          .number()
          .int('must be the 6-digit code from the email')
          .min(0, 'must be the 6-digit code from the email')
          .max(999_999, 'must be the 6-digit code from the email')
          .transform((n) => String(n).padStart(6, '0')),
      ])
      .describe('The 6-digit code from the email, e.g. "482913".'),
  }),
  output: z.object({ signedIn: z.boolean().describe('True on success.'), user: User, expiresAt: ExpiresAt }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  requiresSignIn: false,
  async handler({ email, code }, { app }) {
    const { login } = await app.services();
    const { token, session } = await login.verifyCode(email, code, 'mcp');
    app.credentials.save(token, session.email, session.expiresAt);
    return {
      signedIn: true,
      user: { id: session.userId, email: session.email, tier: session.tier },
      expiresAt: new Date(session.expiresAt).toISOString(),
    };
  },
});

export const whoami = defineTool({
  name: 'whoami',
  title: 'Who is signed in',
  description:
    'Tells whether a person is signed in on this machine, and as whom, with their plan and when the sign-in ' +
    'expires. Use it before other tools when unsure. Example: {}.',
  input: z.strictObject({}),
  output: z.object({
    signedIn: z.boolean().describe('Whether a valid sign-in is saved on this machine.'),
    user: User.optional(),
    expiresAt: ExpiresAt.optional(),
    message: z.string().optional().describe('When signed out: what to do next.'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  requiresSignIn: false,
  async handler(_args, { app }) {
    try {
      const { session } = await app.currentSession();
      return {
        signedIn: true,
        user: { id: session.userId, email: session.email, tier: session.tier },
        expiresAt: new Date(session.expiresAt).toISOString(),
      };
    } catch (err) {
      if (err instanceof NotSignedIn) return { signedIn: false, message: err.message };
      throw err;
    }
  },
});

export const logout = defineTool({
  name: 'logout',
  title: 'Sign out',
  description:
    'Signs the person out: the session is revoked at once in every process and the saved sign-in is removed ' +
    'from this machine. With all=true, every session of this person on every device is revoked. ' +
    'Example: {"all": false}.',
  input: z.strictObject({
    all: z.boolean().optional().describe('Revoke every session of this person, not just this one (default false).'),
  }),
  output: z.object({
    signedOut: z.boolean().describe('True once signed out.'),
    sessionsRevoked: z.number().int().describe('How many sessions were revoked.'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async handler({ all }, { app, session }) {
    const { sessions } = await app.services();
    const revoked = all ? await sessions.revokeAll(session.userId) : await sessions.revoke(session.sessionId);
    app.credentials.remove();
    return { signedOut: true, sessionsRevoked: revoked };
  },
});

export const authTools = [requestLoginCode, verifyLoginCode, whoami, logout];
