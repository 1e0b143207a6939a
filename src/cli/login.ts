import { createInterface } from 'node:readline/promises';
import { defineCommand, fail, out } from './run.js';

export default defineCommand({
  name: 'login',
  summary: 'sign in from a terminal with a code sent by email.',
  usage: `Usage: monitors-mcp login --email <address> [--code <6 digits>]

Without --code: sends a code to the address, then asks for it if this is a
terminal; otherwise run the command again with --code. The sign-in is saved
to MONITORS_MCP_HOME/credentials.json, shared with the MCP server.

Options:
  --email <address>   the address to sign in with
  --code <digits>     the 6-digit code from the email`,
  options: { email: { type: 'string' }, code: { type: 'string' } },
  async run({ app, values }) {
    const email = values.email;
    if (typeof email !== 'string' || email.trim() === '') fail('Give the address to sign in with: --email you@example.com.', 2);
    const { login } = await app.services();
    let code = typeof values.code === 'string' ? values.code : undefined;
    if (code === undefined) {
      const r = await login.requestCode(email);
      out(`${r.where}.`);
      if (!process.stdin.isTTY) {
        out(`Then run: monitors-mcp login --email ${email.trim()} --code <the 6-digit code>`);
        return 0;
      }
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      code = (await rl.question('Code: ')).trim();
      rl.close();
    }
    const { token, session } = await login.verifyCode(email, code, 'cli');
    app.credentials.save(token, session.email, session.expiresAt);
    out(`Signed in as ${session.email} (${session.tier}) until ${new Date(session.expiresAt).toISOString()}.`);
  },
});
