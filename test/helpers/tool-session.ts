// Calls the real MCP tools in-process (runTool: input validation, sign-in
// guard, errors as sentences, size cap), as a person signed in on this app.
import { expect } from 'vitest';
import type { App } from '../../src/app.js';
import { runTool, type ToolResult } from '../../src/mcp/define-tool.js';
import { verifyLoginCode } from '../../src/mcp/tools/auth.js';
import { allTools } from '../../src/mcp/tools/index.js';
import { codeFromWhere } from './login.js';

export interface ToolCaller {
  userId: string;
  /** The raw result of one tool call. */
  raw(tool: string, args?: unknown): Promise<ToolResult>;
  /** structuredContent of a call that must succeed. */
  ok<T = Record<string, unknown>>(tool: string, args?: unknown): Promise<T>;
  /** The one text of a call that must fail with isError. */
  err(tool: string, args?: unknown): Promise<string>;
}

export function toolByName(name: string) {
  const tool = allTools.find((t) => t.name === name);
  if (!tool) throw new Error(`no tool ${name}`);
  return tool;
}

export function callerFor(app: App, userId: string): ToolCaller {
  const ctx = { app, signal: new AbortController().signal, progress: async () => undefined };
  const raw = (tool: string, args: unknown = {}) => runTool(toolByName(tool), args, ctx);
  return {
    userId,
    raw,
    async ok<T>(tool: string, args?: unknown) {
      const r = await raw(tool, args);
      expect(r.isError, `${tool}: ${r.content[0]?.text}`).toBeFalsy();
      return r.structuredContent as T;
    },
    async err(tool: string, args?: unknown) {
      const r = await raw(tool, args);
      expect(r.isError, `${tool} should fail: ${r.content[0]?.text?.slice(0, 300)}`).toBe(true);
      expect(r.content).toHaveLength(1);
      return r.content[0]!.text;
    },
  };
}

/** Signs `email` in through verify_login_code (which saves the credentials file of the app's home). */
export async function signInApp(app: App, email: string): Promise<ToolCaller> {
  const { login } = await app.services();
  const code = codeFromWhere((await login.requestCode(email)).where);
  const ctx = { app, signal: new AbortController().signal, progress: async () => undefined };
  const r = await runTool(verifyLoginCode, { email, code }, ctx);
  expect(r.isError, r.content[0]?.text).toBeFalsy();
  const user = (r.structuredContent as { user: { id: string } }).user;
  return callerFor(app, user.id);
}
