// What a monitor is: one flat object with a `type` and the settings that type
// uses (MCP inputs cannot be unions), checked field by field here so every
// mistake is one sentence saying what to change.
import { isIP } from 'node:net';
import { z } from 'zod';
import { InvalidInput } from '../errors.js';

export const MONITOR_TYPES = ['http', 'tcp', 'dns', 'tls'] as const;
export const MONITOR_STATUSES = ['up', 'down', 'unknown', 'paused'] as const;
export type MonitorType = (typeof MONITOR_TYPES)[number];
export const ASSERTION_SOURCES = ['status', 'latencyMs', 'body', 'json', 'header', 'certDaysLeft'] as const;
export const ASSERTION_OPS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'contains', 'notContains', 'matches', 'exists'] as const;
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const DNS_RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT'] as const;
export const MAX_INTERVAL_SECONDS = 365 * 86_400;

/** `{{secrets.NAME}}`, filled in only when a check runs. */
export const SECRET_REF = /\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}/g;
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export const AssertionSchema = z
  .strictObject({
    source: z
      .enum(ASSERTION_SOURCES)
      .describe('What to test: status, latencyMs, body, json (needs path), header (needs path), certDaysLeft.'),
    path: z.string().max(200).optional().describe('For json: a path like "data.items[0].id"; for header: the header name.'),
    op: z.enum(ASSERTION_OPS).describe('eq ne lt le gt ge contains notContains matches exists.'),
    value: z
      .union([z.string().max(500), z.number(), z.boolean()])
      .optional()
      .describe('What to compare with (numbers compare as numbers; matches takes a regular expression). Not used by exists.'),
  })
  .describe('A check on the result, e.g. {"source": "json", "path": "status", "op": "eq", "value": "ok"}.');
export type Assertion = z.infer<typeof AssertionSchema>;

/** The settings whose meaning depends on `type`. */
export const settingsFields = {
  method: z.enum(HTTP_METHODS).describe('http: the request method (default GET).'),
  headers: z
    .record(z.string().max(100), z.string().max(1000))
    .describe('http: request headers; values may use {{secrets.NAME}}, e.g. {"Authorization": "Bearer {{secrets.API_TOKEN}}"}.'),
  body: z.string().max(8192).describe('http: the request body (may use {{secrets.NAME}}).'),
  expectedStatus: z.string().max(100).describe('http: accepted status codes, e.g. "200-399" (default) or "200,204".'),
  keyword: z.string().max(500).describe('http: text the body must contain (or must not, with keywordAbsent).'),
  keywordAbsent: z.boolean().describe('http: true means the keyword must NOT appear (default false).'),
  jsonPath: z.string().max(200).describe('http: a JSON path whose number is recorded as the value, e.g. "queue.depth".'),
  maxRedirects: z.number().int().min(0).max(5).describe('http: redirects to follow, 0-5 (default 5).'),
  recordType: z.enum(DNS_RECORD_TYPES).describe('dns: the record type (default A).'),
  expectedValue: z.string().max(500).describe('dns: a value one of the records must equal.'),
  assertions: z.array(AssertionSchema).max(20).describe('Further checks on the result, all of which must pass.'),
} as const;

/** Every field of a monitor definition. */
export const monitorFields = {
  name: z.string().max(100).describe('A name unique among your monitors, e.g. "API health".'),
  type: z.enum(MONITOR_TYPES).describe('http (a URL), tcp (host:port opens), dns (a name resolves), tls (certificate expiry).'),
  target: z
    .string()
    .max(2048)
    .describe('http: the URL (http or https); tcp: host:port; dns: the name to resolve; tls: host or host:port (default 443).'),
  intervalSeconds: z
    .number()
    .int()
    .describe('Seconds between checks; at least your plan minimum (free 300, pro 30). Default: the plan minimum.'),
  timeoutMs: z
    .number()
    .int()
    .min(1000)
    .max(60_000)
    .describe('Deadline for one check in milliseconds, 1000-60000 (default 10000).'),
  enabled: z.boolean().describe('false creates it paused (default true).'),
  ...settingsFields,
} as const;

/** The same fields, each optional. */
export function allOptional<T extends Record<string, z.ZodType>>(shape: T): { [K in keyof T]: z.ZodOptional<T[K]> } {
  return Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, v.optional()])) as { [K in keyof T]: z.ZodOptional<T[K]> };
}

export interface MonitorSettings {
  method?: (typeof HTTP_METHODS)[number];
  headers?: Record<string, string>;
  body?: string;
  expectedStatus?: string;
  keyword?: string;
  keywordAbsent?: boolean;
  jsonPath?: string;
  maxRedirects?: number;
  recordType?: (typeof DNS_RECORD_TYPES)[number];
  expectedValue?: string;
  assertions?: Assertion[];
}

export interface MonitorDefinition {
  name: string;
  type: MonitorType;
  target: string;
  intervalSeconds: number;
  timeoutMs: number;
  enabled: boolean;
  settings: MonitorSettings;
}

export type MonitorInput = Partial<{ [K in keyof typeof monitorFields]: z.output<(typeof monitorFields)[K]> }>;

const HTTP_ONLY = [
  'method',
  'headers',
  'body',
  'expectedStatus',
  'keyword',
  'keywordAbsent',
  'jsonPath',
  'maxRedirects',
] as const;
const DNS_ONLY = ['recordType', 'expectedValue'] as const;
const SOURCES_BY_TYPE: Record<MonitorType, readonly string[]> = {
  http: ['status', 'latencyMs', 'body', 'json', 'header'],
  tcp: ['latencyMs'],
  dns: ['latencyMs', 'body'],
  tls: ['latencyMs', 'certDaysLeft'],
};

const bad = (msg: string): never => {
  throw new InvalidInput(msg);
};

const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.?$/i;

function checkHost(host: string, what: string): void {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare)) return;
  if (!HOSTNAME.test(bare)) bad(`${what} "${host.slice(0, 80)}" is not a valid host name or IP address.`);
}

/** Splits "host:port" (IPv6 as "[::1]:443"); the port is required unless a default is given. */
export function parseHostPort(target: string, defaultPort?: number): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(target.trim());
  if (!m) bad(`The target "${target.slice(0, 80)}" must look like host:port (IPv6 as [::1]:443).`);
  const host = m![1]!;
  const port = m![2] !== undefined ? Number(m![2]) : defaultPort;
  if (port === undefined) bad(`The target "${target.slice(0, 80)}" needs a port, like example.com:5432.`);
  if (port! < 1 || port! > 65_535) bad(`The port in "${target.slice(0, 80)}" must be between 1 and 65535.`);
  checkHost(host, 'The host');
  return { host: host.replace(/^\[|\]$/g, ''), port: port! };
}

export function parseExpectedStatus(spec: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const part of spec.split(',')) {
    const m = /^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$/.exec(part);
    if (!m) bad(`expectedStatus "${spec.slice(0, 40)}" must be codes or ranges like "200-399" or "200,204".`);
    const lo = Number(m![1]);
    const hi = m![2] ? Number(m![2]) : lo;
    if (lo < 100 || hi > 599 || lo > hi)
      bad(`expectedStatus "${spec.slice(0, 40)}" must use codes from 100 to 599, low to high.`);
    ranges.push([lo, hi]);
  }
  return ranges;
}

/** Every secret name a definition refers to. */
export function secretRefs(def: Pick<MonitorDefinition, 'target' | 'settings'>): string[] {
  const texts = [def.target, def.settings.body ?? '', ...Object.values(def.settings.headers ?? {})];
  const names = new Set<string>();
  for (const t of texts) for (const m of t.matchAll(SECRET_REF)) names.add(m[1]!);
  return [...names];
}

function canonicalRefs(text: string): string {
  return text.replace(SECRET_REF, (_m, name: string) => `{{secrets.${name}}}`);
}

function checkAssertion(a: Assertion, type: MonitorType, i: number): void {
  const where = `assertions[${i}]`;
  if (!SOURCES_BY_TYPE[type].includes(a.source)) {
    bad(`${where}: source "${a.source}" does not apply to a ${type} monitor (use ${SOURCES_BY_TYPE[type].join(', ')}).`);
  }
  if ((a.source === 'json' || a.source === 'header') && !a.path?.trim()) {
    bad(`${where}: a ${a.source} assertion needs a path (${a.source === 'json' ? 'like "data.status"' : 'the header name'}).`);
  }
  if (a.op === 'exists') return;
  if (a.value === undefined) bad(`${where}: op "${a.op}" needs a value to compare with.`);
  if (['lt', 'le', 'gt', 'ge'].includes(a.op) && typeof a.value !== 'number') {
    bad(`${where}: op "${a.op}" compares numbers, so value must be a number.`);
  }
  if (a.op === 'matches') {
    if (typeof a.value !== 'string') bad(`${where}: op "matches" takes a regular expression as a string.`);
    try {
      new RegExp(a.value as string);
    } catch {
      bad(`${where}: "${String(a.value).slice(0, 60)}" is not a valid regular expression.`);
    }
  }
}

/**
 * Turns tool input into a definition, or throws InvalidInput naming the field
 * to change. `base` is the current definition when updating.
 */
export function buildDefinition(
  input: MonitorInput,
  defaults: { intervalSeconds: number },
  base?: MonitorDefinition,
): MonitorDefinition {
  const type = input.type ?? base?.type;
  if (!type) bad('type is required: one of http, tcp, dns, tls.');
  const t = type as MonitorType;
  const typeChanged = base !== undefined && input.type !== undefined && input.type !== base.type;
  const name = (input.name ?? base?.name ?? '').trim();
  if (!name) bad('name is required: give the monitor a short name, e.g. "Homepage".');
  if ([...name].some((c) => c.charCodeAt(0) < 32)) bad('name must not contain control characters.');
  const target = (input.target ?? (typeChanged ? undefined : base?.target) ?? '').trim();
  if (!target) bad(`target is required for a ${t} monitor.`);

  for (const f of HTTP_ONLY) if (t !== 'http' && input[f] !== undefined) bad(`${f} applies only to http monitors, not ${t}.`);
  for (const f of DNS_ONLY) if (t !== 'dns' && input[f] !== undefined) bad(`${f} applies only to dns monitors, not ${t}.`);

  const prev: MonitorSettings = typeChanged ? {} : (base?.settings ?? {});
  const settings: MonitorSettings = {};
  const pick = <K extends keyof MonitorSettings>(k: K) => {
    const v = (input as MonitorSettings)[k] !== undefined ? (input as MonitorSettings)[k] : prev[k];
    if (v !== undefined) settings[k] = v;
  };
  for (const k of [...HTTP_ONLY, ...DNS_ONLY, 'assertions'] as const) pick(k);

  if (t === 'http') {
    let url: URL;
    try {
      url = new URL(target.replace(SECRET_REF, 'x'));
    } catch {
      return bad(`target "${target.slice(0, 80)}" is not a URL: use the full address, like https://example.com/health.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      bad(`Only http and https URLs can be monitored, not ${url.protocol.replace(/:$/, '')}.`);
    }
    if (settings.expectedStatus !== undefined) parseExpectedStatus(settings.expectedStatus);
    if (settings.maxRedirects !== undefined && (settings.maxRedirects < 0 || settings.maxRedirects > 5)) {
      bad('maxRedirects must be between 0 and 5.');
    }
    const headers = settings.headers ?? {};
    if (Object.keys(headers).length > 20) bad('At most 20 headers are allowed.');
    for (const [k, v] of Object.entries(headers)) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) bad(`"${k.slice(0, 40)}" is not a valid header name.`);
      if (/[\r\n\0]/.test(v)) bad(`The value of header "${k}" must not contain line breaks.`);
    }
    if (settings.body !== undefined && (settings.method ?? 'GET') === 'GET') {
      bad('A request body needs a method that sends one: set method to POST, PUT or PATCH.');
    }
    if (settings.jsonPath !== undefined && !settings.jsonPath.trim()) bad('jsonPath must not be empty.');
    settings.headers = Object.keys(headers).length
      ? Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, canonicalRefs(v)]))
      : undefined;
    if (settings.headers === undefined) delete settings.headers;
    if (settings.body !== undefined) settings.body = canonicalRefs(settings.body);
  } else if (new RegExp(SECRET_REF.source).test(target)) {
    bad('{{secrets.NAME}} can be used only in http monitors.');
  }
  if (t === 'tcp') parseHostPort(target);
  if (t === 'tls') parseHostPort(target.replace(/^https:\/\//, '').replace(/\/.*$/, ''), 443);
  if (t === 'dns') checkHost(target, 'The name');
  for (const [i, a] of (settings.assertions ?? []).entries()) checkAssertion(a, t, i);
  if (settings.assertions?.length === 0) delete settings.assertions;

  const intervalSeconds = input.intervalSeconds ?? base?.intervalSeconds ?? defaults.intervalSeconds;
  if (intervalSeconds > MAX_INTERVAL_SECONDS) bad(`intervalSeconds must be at most ${MAX_INTERVAL_SECONDS} (365 days).`);
  if (intervalSeconds < 1) bad('intervalSeconds must be a positive number of seconds.');
  const timeoutMs = input.timeoutMs ?? base?.timeoutMs ?? 10_000;
  if (timeoutMs < 1000 || timeoutMs > 60_000) bad('timeoutMs must be between 1000 and 60000.');

  return {
    name,
    type: t,
    target: t === 'http' ? canonicalRefs(target) : target,
    intervalSeconds,
    timeoutMs,
    enabled: input.enabled ?? base?.enabled ?? true,
    settings,
  };
}
