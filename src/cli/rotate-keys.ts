import { keyIdOf } from '../infra/secret-box.js';
import { defineCommand, out } from './run.js';

export default defineCommand({
  name: 'rotate-keys',
  summary: 're-encrypt every secret under the current MASTER_KEY.',
  usage: `Usage: monitors-mcp rotate-keys

To change the master key: set MASTER_KEY to the new key and MASTER_KEY_PREVIOUS
to the old one, run this command, then remove MASTER_KEY_PREVIOUS. Every secret
is decrypted with the key it was sealed with and sealed again with MASTER_KEY.
Safe to interrupt and run again; servers can keep running meanwhile. Exits 1
if some secrets are under a key this server does not have.`,
  options: {},
  async run({ app }) {
    const keys = app.keys();
    const { secrets } = await app.services();
    const current = keyIdOf(keys.masterKey);
    const tty = process.stderr.isTTY;
    const r = await secrets.rotateAll((moved) => {
      if (tty) process.stderr.write(`\r${moved} secrets moved so far`);
    });
    if (tty) process.stderr.write('\n');
    out(`Moved ${r.moved} secret${r.moved === 1 ? '' : 's'} to the current key (key id ${current}).`);
    if (r.unknownKey > 0) {
      process.stderr.write(
        `${r.unknownKey} secret${r.unknownKey === 1 ? ' is' : 's are'} sealed under a key this server does not have: set MASTER_KEY_PREVIOUS to that key and run rotate-keys again.\n`,
      );
    }
    if (r.damaged > 0) {
      out(
        `${r.damaged} secret${r.damaged === 1 ? '' : 's'} could not be decrypted (damaged or altered): set ${r.damaged === 1 ? 'it' : 'them'} again with set_secret.`,
      );
    }
    return r.unknownKey > 0 || r.damaged > 0 ? 1 : 0;
  },
});
