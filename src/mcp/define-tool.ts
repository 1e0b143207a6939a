// The shared tool helper: each tool is a small declaration; the work every
// tool needs (input validation, the sign-in guard, errors as sentences,
// structured output plus text, the size cap) is done once, here.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { App } from '../app.js';
import type { ActiveSession } from '../auth/sessions.js';
import { asUnavailable, DomainError } from '../errors.js';

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolContext {
  app: App;
  /** Set for tools that require sign-in. */
  session: ActiveSession;
  signal: AbortSignal;
  /** Reports progress when the client asked for it (a progressToken); a no-op otherwise. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
}

export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  /** false for the sign-in tools; every other tool needs a signed-in person. */
  requiresSignIn?: boolean;
  handler(args: z.output<I>, ctx: ToolContext): Promise<z.input<O>>;
}

export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDefinition<I, O>): ToolDefinition {
  if (!/^[a-z0-9_]{1,40}$/.test(def.name)) throw new Error(`bad tool name ${def.name}`);
  return def as unknown as ToolDefinition;
}

export const MAX_RESULT_BYTES = 50 * 1024;

export interface ToolResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export function errorResult(message: string): ToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** A JSON Schema for clients: no draft-07 `$schema` tag, which some clients reject. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  if (json.type !== 'object') throw new Error('tool schemas must be objects');
  return json;
}

/** One sentence per problem, at most three, naming the field. */
export function describeInputProblems(tool: string, error: z.ZodError): string {
  const parts = error.issues.slice(0, 3).map((top) => {
    // For a union (a field that takes a string or a number), speak of the form whose type matched, else the first.
    let issue = top;
    if (top.code === 'invalid_union') {
      const branch = top.errors.find((b) => b[0] && b[0].code !== 'invalid_type') ?? top.errors[0];
      if (branch?.[0]) issue = { ...branch[0], path: [...top.path, ...branch[0].path] };
    }
    const field = issue.path.length > 0 ? issue.path.join('.') : undefined;
    let msg = issue.message;
    if (issue.code === 'unrecognized_keys') {
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k.slice(0, 40)}"`).join(', ')}`;
    }
    const custom = !/^(Invalid|Too (big|small)|Expected)/.test(issue.message);
    if (issue.code === 'invalid_type') {
      const received = 'input' in issue ? describeType(issue.input) : 'something else';
      if (received === 'nothing') msg = 'is required';
      else if (issue.expected === 'int') msg = 'must be a whole number';
      else msg = `must be ${article(issue.expected)}, not ${received}`;
    } else if ((issue.code === 'too_big' || issue.code === 'too_small') && !custom) {
      const bound = Number(issue.code === 'too_big' ? issue.maximum : issue.minimum);
      const most = issue.code === 'too_big' ? 'at most' : 'at least';
      if (issue.origin === 'string') {
        msg = bound === 1 && issue.code === 'too_small' ? 'must not be empty' : `must be ${most} ${bound} characters`;
      } else if (issue.origin === 'array') msg = `must have ${most} ${bound} item${bound === 1 ? '' : 's'}`;
      else msg = `must be ${most} ${bound}`;
    } else if (issue.code === 'invalid_value' && !custom) {
      msg = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (issue.code === 'invalid_format' && !custom) {
      msg = `is not a valid ${issue.format}`;
    }
    return field ? `"${field.slice(0, 60)}" ${msg}` : msg;
  });
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return `Invalid input for ${tool}: ${parts.join('; ')}${more}.`;
}

function describeType(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return article(typeof v);
}

function article(t: string): string {
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

export async function runTool(tool: ToolDefinition, rawArgs: unknown, base: Omit<ToolContext, 'session'>): Promise<ToolResult> {
  const { app } = base;
  try {
    // Signing in comes first: until then, nothing else the person could fix matters.
    const session =
      tool.requiresSignIn === false ? (undefined as unknown as ActiveSession) : (await app.currentSession()).session;
    const parsed = tool.input.safeParse(rawArgs ?? {}, { reportInput: true });
    if (!parsed.success) return errorResult(describeInputProblems(tool.name, parsed.error));
    const out = await tool.handler(parsed.data, { ...base, session });
    const checked = tool.output.safeParse(out);
    if (!checked.success) {
      app.logger.error('tool output does not match its schema', { tool: tool.name, issues: checked.error.issues.slice(0, 5) });
    }
    const structured = (checked.success ? checked.data : out) as Record<string, unknown>;
    const text = JSON.stringify(structured);
    if (Buffer.byteLength(text) > MAX_RESULT_BYTES) {
      return errorResult(`The answer from ${tool.name} is larger than 50 KB: ask for fewer items with a smaller limit.`);
    }
    return { content: [{ type: 'text', text }], structuredContent: structured };
  } catch (err) {
    return errorResult(describeError(app, tool.name, err));
  }
}

export function describeError(app: App, tool: string, err: unknown): string {
  if (err instanceof DomainError) return err.message;
  const unavailable = asUnavailable(err);
  if (unavailable) {
    app.logger.warn('dependency unavailable', { tool, reason: unavailable.message });
    return unavailable.message;
  }
  const ref = randomBytes(4).toString('hex');
  app.logger.error('tool failed', { tool, ref, error: err });
  return `Something went wrong inside ${tool}; the server logged the details (reference ${ref}). Try again, and report it if it keeps happening.`;
}
