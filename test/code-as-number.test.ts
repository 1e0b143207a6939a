// Some clients (the Inspector's CLI among them) send a typed-in code as a
// number; 012345 then arrives as 12345 and must still sign in.
import { afterEach, expect, it } from 'vitest';
import { makeEnv, type TestEnv } from './helpers/env.js';
import { startServer } from './helpers/stdio.js';

let t: TestEnv;
afterEach(async () => t?.cleanup());

it('verify_login_code accepts the code as a number, leading zeros and all', async () => {
  t = await makeEnv('sqlite');
  const server = await startServer(t.env);
  try {
    await server.client.callTool({ name: 'request_login_code', arguments: { email: 'num@example.com' } });
    const code = await server.codeFor('num@example.com');
    const r = await server.client.callTool({
      name: 'verify_login_code',
      arguments: { email: 'num@example.com', code: Number(code) },
    });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ signedIn: true, user: { email: 'num@example.com' } });
    const bad = await server.client.callTool({
      name: 'verify_login_code',
      arguments: { email: 'num@example.com', code: 1_000_000 },
    });
    expect(bad.isError).toBe(true);
    expect((bad.content as { text: string }[])[0]!.text).toBe(
      'Invalid input for verify_login_code: "code" must be the 6-digit code from the email.',
    );
  } finally {
    await server.close();
  }
});
