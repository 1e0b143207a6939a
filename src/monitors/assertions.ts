// Assertions are data: {source, path?, op, value}. Comparison is typed
// (numbers as numbers); a missing path, a body that is not JSON or a value
// that is not a number fails the assertion with a message saying which. It
// never reads as 0 and never passes by accident.
import { createContext, Script } from 'node:vm';
import type { Assertion } from './definition.js';

/** A person's pattern must not hold the process: it runs under a time budget. */
export const REGEX_BUDGET_MS = 50;
const regexScript = new Script('pattern.test(text)');
const regexContext = createContext({});

/** true or false, or undefined when the pattern ran out of time (catastrophic backtracking). */
export function regexTest(pattern: string, text: string): boolean | undefined {
  try {
    regexContext.pattern = new RegExp(pattern);
    regexContext.text = text;
    return regexScript.runInContext(regexContext, { timeout: REGEX_BUDGET_MS }) as boolean;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return undefined;
    throw err;
  } finally {
    regexContext.text = undefined;
  }
}

export interface Observed {
  statusCode?: number;
  latencyMs: number;
  headers?: Record<string, string>;
  body?: string;
  certDaysLeft?: number;
}

export type Verdict = { ok: true } | { ok: false; message: string };

const MISSING = Symbol('missing');
type Value = unknown;

/** Reads "a.b[0].c", "$.a.b", or 'a["key with dots"]' from parsed JSON; MISSING if any step is absent. */
export function readJsonPath(doc: unknown, path: string): Value | typeof MISSING {
  const tokens: Array<string | number> = [];
  const re = /\.?([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/gy;
  const src = path.trim().replace(/^\$\.?/, '');
  let m: RegExpExecArray | null;
  let pos = 0;
  re.lastIndex = 0;
  // biome-ignore lint/suspicious/noAssignInExpressions: a scanner loop
  while (pos < src.length && (m = re.exec(src))) {
    pos = re.lastIndex;
    if (m[1] !== undefined) tokens.push(m[1]);
    else if (m[2] !== undefined) tokens.push(Number(m[2]));
    else tokens.push(JSON.parse(`"${m[3]}"`) as string);
  }
  if (pos !== src.length) return MISSING;
  let cur: unknown = doc;
  for (const t of tokens) {
    if (typeof t === 'number') {
      if (!Array.isArray(cur) || t >= cur.length) return MISSING;
      cur = cur[t];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, t)) return MISSING;
      cur = (cur as Record<string, unknown>)[t];
    }
  }
  return cur;
}

const NUMERIC = /^\s*-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v);
  return undefined;
}

function show(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export function evaluateAssertion(a: Assertion, seen: Observed, i = 0): Verdict {
  const label = `assertion ${i + 1} (${a.source}${a.path ? ` ${a.path}` : ''} ${a.op}${a.value !== undefined ? ` ${show(a.value)}` : ''})`;
  const fail = (why: string): Verdict => ({ ok: false, message: `${label} failed: ${why}` });

  let actual: unknown;
  switch (a.source) {
    case 'status':
      actual = seen.statusCode;
      break;
    case 'latencyMs':
      actual = seen.latencyMs;
      break;
    case 'certDaysLeft':
      actual = seen.certDaysLeft;
      break;
    case 'body':
      actual = seen.body;
      break;
    case 'header': {
      const name = (a.path ?? '').toLowerCase();
      actual = seen.headers && Object.hasOwn(seen.headers, name) ? seen.headers[name] : undefined;
      if (actual === undefined && a.op !== 'exists') return fail(`the response has no ${a.path} header`);
      break;
    }
    case 'json': {
      if (seen.body === undefined) return fail('there is no body');
      let doc: unknown;
      try {
        doc = JSON.parse(seen.body);
      } catch {
        return fail('the body is not JSON');
      }
      const v = readJsonPath(doc, a.path ?? '');
      if (v === MISSING) return fail(`${a.path} is not in the JSON`);
      actual = v;
      break;
    }
  }

  if (a.op === 'exists') return actual === undefined ? fail('it is missing') : { ok: true };
  if (actual === undefined) return fail(`no ${a.source} was observed`);

  const expected = a.value;
  switch (a.op) {
    case 'eq':
    case 'ne': {
      let equal: boolean;
      if (typeof expected === 'number') {
        const n = asNumber(actual);
        if (n === undefined) return fail(`${show(actual)} is not a number`);
        equal = n === expected;
      } else if (typeof expected === 'boolean') {
        equal = actual === expected;
      } else {
        equal = (typeof actual === 'string' ? actual : JSON.stringify(actual)) === expected;
      }
      if (equal === (a.op === 'eq')) return { ok: true };
      return fail(`got ${show(actual)}`);
    }
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge': {
      const n = asNumber(actual);
      if (n === undefined) return fail(`${show(actual)} is not a number`);
      const e = expected as number;
      const ok = a.op === 'lt' ? n < e : a.op === 'le' ? n <= e : a.op === 'gt' ? n > e : n >= e;
      return ok ? { ok: true } : fail(`got ${n}`);
    }
    case 'contains':
    case 'notContains': {
      const has = Array.isArray(actual)
        ? actual.some((x) => x === expected || String(x) === String(expected))
        : (typeof actual === 'string' ? actual : JSON.stringify(actual)).includes(String(expected));
      if (has === (a.op === 'contains')) return { ok: true };
      return fail(a.op === 'contains' ? 'the text is not there' : 'the text is there');
    }
    case 'matches': {
      const text = typeof actual === 'string' ? actual : JSON.stringify(actual);
      const matched = regexTest(String(expected), text);
      if (matched === undefined) return fail(`the pattern took longer than ${REGEX_BUDGET_MS} ms on this input (simplify it)`);
      return matched ? { ok: true } : fail(`${show(actual)} does not match`);
    }
  }
  return fail('unknown operation');
}

/** Extracts the monitor's value: a number at a JSON path, or a failure saying why not. */
export function extractNumber(body: string | undefined, path: string): { value: number } | { error: string } {
  if (body === undefined) return { error: `jsonPath ${path}: there is no body` };
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return { error: `jsonPath ${path}: the body is not JSON` };
  }
  const v = readJsonPath(doc, path);
  if (v === MISSING) return { error: `jsonPath ${path} is not in the JSON` };
  const n = asNumber(v);
  if (n === undefined) return { error: `jsonPath ${path} is ${show(v)}, not a number` };
  return { value: n };
}
