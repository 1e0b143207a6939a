// Starts the built server (dist/index.js) as a real stdio child process with
// the bare environment an MCP client gives it, and reads what it prints.
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export const SERVER_ENTRY = join(import.meta.dirname, '..', '..', 'dist', 'index.js');

export interface StdioServer {
  client: Client;
  transport: StdioClientTransport;
  stderr(): string;
  /** The last sign-in code the console mailer printed for this address. */
  codeFor(email: string): Promise<string>;
  close(): Promise<void>;
}

export async function startServer(env: Record<string, string>, args: string[] = []): Promise<StdioServer> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [SERVER_ENTRY, ...args], env, stderr: 'pipe' });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const client = new Client({ name: 'monitors-test', version: '1.0.0' });
  await client.connect(transport);
  return {
    client,
    transport,
    stderr: () => err,
    async codeFor(email: string) {
      for (let i = 0; i < 50; i++) {
        const code = lastCode(err, email);
        if (code) return code;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no code for ${email} on stderr:\n${err.slice(-2000)}`);
    },
    close: () => client.close(),
  };
}

/** The code in the last console-mailer message to `email`: the standalone 6-digit line after "To: <email>". */
export function lastCode(text: string, email: string): string | undefined {
  const blocks = text.split('----- monitors-mcp console mailer -----').slice(1);
  for (const block of blocks.reverse()) {
    if (!block.includes(`To: ${email}`)) continue;
    const m = /^(\d{6})$/m.exec(block);
    if (m) return m[1];
  }
  return undefined;
}
