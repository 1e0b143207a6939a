import { NotSignedIn } from '../errors.js';
import { defineCommand, out } from './run.js';

export default defineCommand({
  name: 'logout',
  summary: 'sign out of this machine (or everywhere with --all).',
  usage: `Usage: monitors-mcp logout [--all]

Revokes the saved session (at once, in every process) and removes the saved
sign-in from this machine.

Options:
  --all   revoke every session of this person, on every device`,
  options: { all: { type: 'boolean' } },
  async run({ app, values }) {
    let current: Awaited<ReturnType<typeof app.currentSession>>;
    try {
      current = await app.currentSession();
    } catch (err) {
      if (!(err instanceof NotSignedIn)) throw err;
      app.credentials.remove();
      out('Not signed in; nothing to do.');
      return 0;
    }
    const { sessions } = await app.services();
    const n = values.all ? await sessions.revokeAll(current.session.userId) : await sessions.revoke(current.session.sessionId);
    app.credentials.remove();
    out(`Signed out ${current.session.email} (${n} session${n === 1 ? '' : 's'} revoked).`);
  },
});
