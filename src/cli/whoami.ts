import { NotSignedIn } from '../errors.js';
import { defineCommand, out } from './run.js';

export default defineCommand({
  name: 'whoami',
  summary: 'show who is signed in on this machine.',
  usage: `Usage: monitors-mcp whoami [--json]

Prints the signed-in address, plan and expiry; exits 1 when nobody is signed in.

Options:
  --json   print the answer as JSON`,
  options: { json: { type: 'boolean' } },
  async run({ app, values }) {
    try {
      const { session } = await app.currentSession();
      const expiresAt = new Date(session.expiresAt).toISOString();
      if (values.json) {
        out(
          JSON.stringify({ signedIn: true, user: { id: session.userId, email: session.email, tier: session.tier }, expiresAt }),
        );
      } else {
        out(`Signed in as ${session.email} (${session.tier}) until ${expiresAt}.`);
      }
      return 0;
    } catch (err) {
      if (!(err instanceof NotSignedIn)) throw err;
      if (values.json) out(JSON.stringify({ signedIn: false, message: err.message }));
      else out(`Not signed in: run \`monitors-mcp login --email you@example.com\`.`);
      return 1;
    }
  },
});
