// The MCP protocol surface, seen raw: the built server as a child process with
// JSON-RPC lines written to its stdin and every stdout line parsed. Proves that
// stdout carries JSON-RPC and nothing else (start-up, every tool, errors, garbage
// input, shutdown), the protocol versions, the shape of tools/list, JSON-RPC
// errors for unknown tools and malformed calls, prompt exit on end of stdin and
// SIGTERM (with the MySQL pool and Redis open), that a throwing handler never
// ends the process, and that logging/setLevel switches log notifications on.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { App } from '../src/app.js';
import { createLogger } from '../src/infra/logger.js';
import { defineTool } from '../src/mcp/define-tool.js';
import { createMcpServer } from '../src/mcp/server.js';
import { allTools } from '../src/mcp/tools/index.js';
import { backends, makeApp, makeEnv, type TestEnv } from './helpers/env.js';
import { type RawServer, spawnRaw } from './helpers/raw-stdio.js';
import { lastCode } from './helpers/stdio.js';

type ToolCallResult = {
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};

let t: TestEnv | undefined;
let s: RawServer | undefined;
afterEach(async () => {
  s?.kill();
  s = undefined;
  await t?.cleanup();
  t = undefined;
});

async function start(backend: 'sqlite' | 'mysql' = 'sqlite'): Promise<RawServer> {
  t = await makeEnv(backend);
  s = spawnRaw(t.env);
  return s;
}

/** tools/call over the raw pipe; fails the test if the answer is a JSON-RPC error. */
async function call(server: RawServer, name: string, args: unknown): Promise<ToolCallResult> {
  const res = await server.request('tools/call', { name, arguments: args });
  expect(res.error, `tools/call ${name} answered a JSON-RPC error`).toBeUndefined();
  return res.result as unknown as ToolCallResult;
}

const textOf = (r: ToolCallResult) => r.content.map((c) => c.text).join('\n');

async function codeFrom(server: RawServer, email: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const code = lastCode(server.stderr(), email);
    if (code) return code;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no code for ${email} on stderr:\n${server.stderr().slice(-2000)}`);
}

/** A full sign-in: opens the database pool and (shared deployment) the Redis connection. */
async function signIn(server: RawServer, email: string): Promise<void> {
  const req = await call(server, 'request_login_code', { email });
  expect(req.isError, textOf(req)).toBeUndefined();
  const code = await codeFrom(server, email);
  const ver = await call(server, 'verify_login_code', { email, code });
  expect(ver.structuredContent).toMatchObject({ signedIn: true, user: { email } });
  const who = await call(server, 'whoami', {});
  expect(who.structuredContent).toMatchObject({ signedIn: true, user: { email } });
}

/** Every key path named `key` anywhere inside `v`. */
function findKey(v: unknown, key: string, path = '$'): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => findKey(x, key, `${path}[${i}]`));
  if (v && typeof v === 'object') {
    return Object.entries(v).flatMap(([k, x]) => [...(k === key ? [`${path}.${k}`] : []), ...findKey(x, key, `${path}.${k}`)]);
  }
  return [];
}

function expectOnlyJsonRpc(server: RawServer): void {
  expect(server.badLines).toEqual([]);
  expect(server.lines.length).toBeGreaterThan(0);
  expect(server.messages.length).toBe(server.lines.length);
}

describe.each(backends)('a whole raw session (%s)', (backend) => {
  it('writes only JSON-RPC 2.0 lines on stdout, answers every call, and exits within 1 s when stdin ends', async () => {
    const server = await start(backend);
    const init = await server.initialize('2025-06-18');
    expect(init.result?.protocolVersion).toBe('2025-06-18');

    const list = await server.request('tools/list', {});
    const names = ((list.result?.tools ?? []) as { name: string }[]).map((x) => x.name);
    expect(names).toEqual(allTools.map((x) => x.name));

    // Garbage on stdin is dropped; the server keeps answering.
    server.writeLine('this is not JSON at all {');
    server.writeLine('{"jsonrpc":"2.0","id":"half"');
    server.writeLine('');
    const unknownMethod = await server.request('no_such/method', {});
    expect(unknownMethod.result).toBeUndefined();
    expect(unknownMethod.error?.code).toBe(-32601);
    expect(await server.request('ping')).toMatchObject({ result: {} });

    // Every tool, signed out, with bad input and for real.
    const whoOut = await call(server, 'whoami', {});
    expect(whoOut.structuredContent).toEqual({
      signedIn: false,
      message: 'Not signed in: call request_login_code with your email.',
    });
    const logoutOut = await call(server, 'logout', {});
    expect(logoutOut).toMatchObject({ isError: true });
    expect(textOf(logoutOut)).toBe('Not signed in: call request_login_code with your email.');
    const badEmail = await call(server, 'request_login_code', { email: 42 });
    expect(badEmail.isError).toBe(true);
    expect(textOf(badEmail)).toBe('Invalid input for request_login_code: "email" must be a string, not a number.');
    const badCode = await call(server, 'verify_login_code', { email: 'raw@example.com', code: 'abc' });
    expect(badCode.isError).toBe(true);
    expect(textOf(badCode)).toBe('The code is the 6-digit number from the email: check it and try again.');
    const unknownTool = await server.request('tools/call', { name: 'no_such_tool', arguments: {} });
    expect(unknownTool.result).toBeUndefined();
    expect(unknownTool.error?.code).toBe(-32602);

    await signIn(server, 'raw@example.com');
    const out = await call(server, 'logout', {});
    expect(out.structuredContent).toEqual({ signedOut: true, sessionsRevoked: 1 });
    expect(JSON.parse(textOf(out))).toEqual(out.structuredContent);

    const stop = await server.endStdin();
    expect(stop.code).toBe(0);
    expect(stop.signal).toBeNull();
    expect(stop.ms).toBeLessThan(1000);
    expectOnlyJsonRpc(server);
    // Every request got exactly one answer.
    const answered = server.messages.filter((m) => m.method === undefined).map((m) => m.id);
    expect(new Set(answered).size).toBe(answered.length);
  });

  it('exits within 1 s on SIGTERM once a tool call has opened the database and the cache', async () => {
    const server = await start(backend);
    await server.initialize();
    await signIn(server, 'term@example.com');
    const stop = await server.signal('SIGTERM');
    expect(stop.code).toBe(0); // handled and exited, not killed by the default action
    expect(stop.signal).toBeNull();
    expect(stop.ms).toBeLessThan(1000);
    expectOnlyJsonRpc(server);
  });
});

describe('initialize', () => {
  it.each(['2024-11-05', '2025-06-18', '2025-11-25'])('answers protocolVersion %s with that version', async (version) => {
    const server = await start();
    const res = await server.initialize(version);
    expect(res.error).toBeUndefined();
    expect(res.result?.protocolVersion).toBe(version);
    expect(res.result?.serverInfo).toMatchObject({ name: 'monitors-mcp' });
    expect(res.result?.capabilities).toMatchObject({ tools: {}, logging: {} });
    const stop = await server.endStdin();
    expect(stop.ms).toBeLessThan(1000);
    expectOnlyJsonRpc(server);
  });

  it('answers a version it does not know with the latest it speaks', async () => {
    const server = await start();
    const res = await server.initialize('1999-01-01');
    expect(res.result?.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
  });
});

describe('tools/list', () => {
  it('publishes portable tool definitions', async () => {
    const server = await start();
    await server.initialize();
    const res = await server.request('tools/list', {});
    expect(res.error).toBeUndefined();
    expect(findKey(res, '$schema')).toEqual([]);
    const raw = server.lines.find((l) => l.includes('"tools":['));
    expect(raw).toBeDefined();
    expect(raw).not.toContain('"$schema"');

    const tools = res.result?.tools as Record<string, unknown>[];
    expect(tools.map((x) => x.name)).toEqual(allTools.map((x) => x.name));
    expect(tools.map((x) => x.name)).toEqual(
      expect.arrayContaining(['request_login_code', 'verify_login_code', 'whoami', 'logout']),
    );
    for (const tool of tools) {
      const name = tool.name as string;
      expect(name).toMatch(/^[a-z0-9_]{1,40}$/);
      expect(typeof tool.title, name).toBe('string');
      expect((tool.title as string).length, name).toBeGreaterThan(0);
      expect(typeof tool.description, name).toBe('string');
      expect((tool.description as string).length, name).toBeGreaterThan(20);

      const input = tool.inputSchema as Record<string, unknown>;
      expect(input.type, name).toBe('object');
      for (const union of ['anyOf', 'oneOf', 'allOf']) expect(input, `${name} input ${union}`).not.toHaveProperty(union);
      for (const [field, schema] of Object.entries((input.properties ?? {}) as Record<string, { description?: string }>)) {
        expect(typeof schema.description, `${name}.${field} has a description`).toBe('string');
      }

      const output = tool.outputSchema as Record<string, unknown> | undefined;
      expect(output, `${name} has an outputSchema`).toBeDefined();
      expect(output?.type, name).toBe('object');

      const ann = tool.annotations as Record<string, unknown> | undefined;
      expect(ann, `${name} has annotations`).toBeDefined();
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']) {
        expect(typeof ann?.[hint], `${name}.${hint}`).toBe('boolean');
      }
    }
    const byName = new Map(tools.map((x) => [x.name, x.annotations as Record<string, boolean>]));
    expect(byName.get('whoami')).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    expect(byName.get('logout')).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.get('request_login_code')).toMatchObject({ readOnlyHint: false, openWorldHint: true });
  });
});

describe('errors at the protocol level', () => {
  it('answers an unknown tool with JSON-RPC error -32602, not a result', async () => {
    const server = await start();
    await server.initialize();
    const res = await server.request('tools/call', { name: 'drop_all_tables', arguments: {} });
    expect(res.result).toBeUndefined();
    expect(res.error?.code).toBe(-32602);
    expect(res.error?.message).toBe('Unknown tool "drop_all_tables": call tools/list to see the tools.');
  });

  it('answers malformed tools/call requests with an error and keeps answering', async () => {
    const server = await start();
    await server.initialize();
    const malformed: unknown[] = [
      { arguments: 'a string' }, // no name, arguments not an object
      { name: 'whoami', arguments: 'a string' },
      { name: 'whoami', arguments: [1, 2] },
      { name: 42, arguments: {} },
      undefined, // no params at all
    ];
    for (const params of malformed) {
      const res = await server.request('tools/call', params);
      expect(res.result, JSON.stringify(params)).toBeUndefined();
      expect(res.error?.code, JSON.stringify(params)).toBeLessThanOrEqual(-32600);
      expect(res.error?.code, JSON.stringify(params)).toBeGreaterThanOrEqual(-32700);
      expect(res.error?.message).not.toMatch(/\n\s+at /); // no stack trace
    }
    expect(server.child.exitCode).toBeNull();
    const who = await call(server, 'whoami', {});
    expect(who.structuredContent).toMatchObject({ signedIn: false });
    expect(await server.request('ping')).toMatchObject({ result: {} });
    expectOnlyJsonRpc(server);
  });
});

describe('logging', () => {
  const logMessages = (server: RawServer) => server.notifications('notifications/message');

  it('sends no log notifications before logging/setLevel, and sends them after it', async () => {
    const server = await start(); // LOG_LEVEL=warn on stderr: the client's level is its own
    await server.initialize();
    const first = await call(server, 'request_login_code', { email: 'quiet@example.com' });
    expect(first.isError).toBeUndefined();
    // The notification for a call is written before the call's answer, so none has come.
    expect(logMessages(server)).toEqual([]);

    expect(await server.request('logging/setLevel', { level: 'debug' })).toMatchObject({ result: {} });
    const second = await call(server, 'request_login_code', { email: 'loud@example.com' });
    expect(second.isError).toBeUndefined();
    const got = logMessages(server);
    expect(got.length).toBeGreaterThan(0);
    expect(got.map((m) => m.params)).toContainEqual(
      expect.objectContaining({
        level: 'info',
        logger: 'monitors-mcp',
        data: expect.objectContaining({ msg: 'login code sent' }),
      }),
    );
    // The code itself never travels in a log notification.
    const code = await codeFrom(server, 'loud@example.com');
    expect(JSON.stringify(got)).not.toContain(code);

    // A higher level silences info again.
    expect(await server.request('logging/setLevel', { level: 'error' })).toMatchObject({ result: {} });
    const before = got.length;
    await call(server, 'request_login_code', { email: 'later@example.com' });
    expect(logMessages(server).length).toBe(before);
    expectOnlyJsonRpc(server);
  });
});

describe('an exception inside a handler', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('becomes an isError sentence with a reference, leaks nothing, and the server keeps working', async () => {
    t = await makeEnv('sqlite');
    const logs: string[] = [];
    app = makeApp(
      t.env,
      createLogger('error', (line) => logs.push(line)),
    );
    const boom = defineTool({
      name: 'boom',
      title: 'Always fails',
      description: 'A tool that throws, for the test.',
      input: z.strictObject({}),
      output: z.object({ ok: z.boolean() }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      requiresSignIn: false,
      async handler() {
        throw new Error('connect to db with password hunter2 failed');
      },
    });
    const server = createMcpServer(app, [...allTools, boom]);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'in-process', version: '1.0.0' });
    await client.connect(clientSide);
    try {
      const refs: string[] = [];
      for (let i = 0; i < 2; i++) {
        const r = (await client.callTool({ name: 'boom', arguments: {} })) as ToolCallResult;
        expect(r.isError).toBe(true);
        expect(r.structuredContent).toBeUndefined();
        expect(r.content).toHaveLength(1);
        const m =
          /^Something went wrong inside boom; the server logged the details \(reference ([0-9a-f]{8})\)\. Try again, and report it if it keeps happening\.$/.exec(
            textOf(r),
          );
        expect(m, textOf(r)).not.toBeNull();
        refs.push(m![1]!);
        const wire = JSON.stringify(r);
        expect(wire).not.toContain('hunter2');
        expect(wire).not.toMatch(/\bat .*:\d+:\d+/); // no stack frame
        expect(wire).not.toContain('Error:');
      }
      expect(refs[0]).not.toBe(refs[1]);
      // The details went to the log, under the reference the person was given.
      const logged = logs.join('');
      for (const ref of refs) expect(logged).toContain(ref);
      expect(logged).toContain('hunter2');

      const who = (await client.callTool({ name: 'whoami', arguments: {} })) as ToolCallResult;
      expect(who.isError).toBeUndefined();
      expect(who.structuredContent).toMatchObject({ signedIn: false });
    } finally {
      await client.close();
    }
  });
});
