// Bad input to every monitor, secret, alert-rule and alert tool over a real
// stdio child, on both backends: wrong types, missing, unknown and empty
// fields, 1 MB strings, negative and huge numbers, and the mistakes of the
// domain (bad or ftp URLs, unknown assertion ops, a json assertion without a
// path, an invalid regex, an interval under the plan minimum, a secret that
// does not exist, a duplicate name, a tcp target without a port, an ftp
// webhook, latencyAbove without ms). Each answer is an isError result with one
// sentence naming what to change, and every table is exactly as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AllTablesReader, type FullSnapshot, openAllTables } from './helpers/all-tables.js';
import { backends, makeApp, makeEnv, type TestEnv } from './helpers/env.js';
import { type StdioServer, startServer } from './helpers/stdio.js';

const MB = 'x'.repeat(1024 * 1024);
const URL_OK = 'https://example.com/health';

interface Ids {
  monitorId: string;
  ruleId: string;
  alertId: string;
}
type Args = Record<string, unknown> | undefined;
type Case = [label: string, tool: string, args: Args | ((ids: Ids) => Args), text: string | RegExp];

const inv = (tool: string, rest: string) => `Invalid input for ${tool}: ${rest}`;
/** A zod default message: the field is named, with the bound that applies. */
const tooBig = (tool: string, field: string, n: number | string) =>
  new RegExp(`^Invalid input for ${tool}: "${field.replace(/\./g, '\\.')}" must be at most ${n}( characters)?\\.$`);
const oneOf = (tool: string, field: string, first: string) =>
  new RegExp(`^Invalid input for ${tool}: "${field.replace(/\./g, '\\.')}" must be one of "${first}"[^;]*\\.$`);
const m = (extra: Record<string, unknown>) => ({ name: 'New one', type: 'http', target: URL_OK, ...extra });
const cm = 'create_monitor';
const um = 'update_monitor';
const cr = 'create_alert_rule';
const ur = 'update_alert_rule';

const NO_MONITOR = 'No monitor with that id: call list_monitors to see your monitors and their ids.';
const NO_RULE = 'No alert rule with that id: call list_alert_rules to see your rules and their ids.';
const NO_ALERT = 'No alert with that id: call list_alerts to see your alerts and their ids.';
const SECRET_NAME =
  'A secret name is 1-64 letters, digits or underscores, starting with a letter or underscore, e.g. "API_TOKEN".';
const BAD_CURSOR = 'That cursor is not one this server gave out: call again without a cursor to start from the beginning.';

const cases: Case[] = [
  // create_monitor: shapes
  ['no arguments', cm, undefined, /^Invalid input for create_monitor: "name" is required; "type" .*; "target" is required\.$/],
  ['missing name', cm, { type: 'http', target: URL_OK }, inv(cm, '"name" is required.')],
  ['missing target', cm, { name: 'x', type: 'http' }, inv(cm, '"target" is required.')],
  ['missing type', cm, { name: 'x', target: URL_OK }, oneOf(cm, 'type', 'http')],
  ['name as a number', cm, m({ name: 5 }), inv(cm, '"name" must be a string, not a number.')],
  ['type as a list', cm, m({ type: ['http'] }), oneOf(cm, 'type', 'http')],
  ['unknown type', cm, m({ type: 'icmp' }), oneOf(cm, 'type', 'http')],
  ['headers as a string', cm, m({ headers: 'Authorization: x' }), inv(cm, '"headers" must be a record, not a string.')],
  ['enabled as a string', cm, m({ enabled: 'yes' }), inv(cm, '"enabled" must be a boolean, not a string.')],
  ['assertions as an object', cm, m({ assertions: { op: 'eq' } }), inv(cm, '"assertions" must be an array, not an object.')],
  ['unknown field', cm, m({ color: 'red' }), inv(cm, 'unknown field "color".')],
  [
    'unknown field in an assertion',
    cm,
    m({ assertions: [{ source: 'status', op: 'eq', value: 200, hint: 1 }] }),
    inv(cm, 'unknown field "hint".'),
  ],
  ['empty name', cm, m({ name: '' }), 'name is required: give the monitor a short name, e.g. "Homepage".'],
  ['blank name', cm, m({ name: '   ' }), 'name is required: give the monitor a short name, e.g. "Homepage".'],
  ['empty target', cm, m({ target: '' }), 'target is required for a http monitor.'],
  ['empty type', cm, m({ type: '' }), oneOf(cm, 'type', 'http')],
  ['1 MB name', cm, m({ name: MB }), tooBig(cm, 'name', 100)],
  ['1 MB target', cm, m({ target: MB }), tooBig(cm, 'target', 2048)],
  ['1 MB header value', cm, m({ headers: { 'X-A': MB } }), tooBig(cm, 'headers.X-A', 1000)],
  ['1 MB body', cm, m({ method: 'POST', body: MB }), tooBig(cm, 'body', 8192)],
  ['1 MB keyword', cm, m({ keyword: MB }), tooBig(cm, 'keyword', 500)],
  ['negative interval', cm, m({ intervalSeconds: -1 }), 'intervalSeconds must be a positive number of seconds.'],
  ['1e308 interval', cm, m({ intervalSeconds: 1e308 }), /^Invalid input for create_monitor: "intervalSeconds" /],
  ['interval of 400 days', cm, m({ intervalSeconds: 400 * 86_400 }), 'intervalSeconds must be at most 31536000 (365 days).'],
  ['fractional interval', cm, m({ intervalSeconds: 300.5 }), /^Invalid input for create_monitor: "intervalSeconds" must be /],
  ['negative timeout', cm, m({ timeoutMs: -1 }), inv(cm, '"timeoutMs" must be at least 1000.')],
  ['1e308 timeout', cm, m({ timeoutMs: 1e308 }), /^Invalid input for create_monitor: "timeoutMs" /],
  ['negative maxRedirects', cm, m({ maxRedirects: -1 }), inv(cm, '"maxRedirects" must be at least 0.')],
  ['huge maxRedirects', cm, m({ maxRedirects: 1e9 }), inv(cm, '"maxRedirects" must be at most 5.')],
  // create_monitor: the domain
  [
    'not a URL',
    cm,
    m({ target: 'not a url' }),
    'target "not a url" is not a URL: use the full address, like https://example.com/health.',
  ],
  ['ftp URL', cm, m({ target: 'ftp://files.example.com/x' }), 'Only http and https URLs can be monitored, not ftp.'],
  ['file URL', cm, m({ target: 'file:///etc/passwd' }), 'Only http and https URLs can be monitored, not file.'],
  [
    'unknown assertion op',
    cm,
    m({ assertions: [{ source: 'status', op: 'like', value: 200 }] }),
    oneOf(cm, 'assertions.0.op', 'eq'),
  ],
  [
    'unknown assertion source',
    cm,
    m({ assertions: [{ source: 'cookie', op: 'exists' }] }),
    oneOf(cm, 'assertions.0.source', 'status'),
  ],
  [
    'json assertion without a path',
    cm,
    m({ assertions: [{ source: 'json', op: 'eq', value: 'ok' }] }),
    'assertions[0]: a json assertion needs a path (like "data.status").',
  ],
  [
    'header assertion without a path',
    cm,
    m({ assertions: [{ source: 'header', op: 'exists' }] }),
    'assertions[0]: a header assertion needs a path (the header name).',
  ],
  [
    'matches with an invalid regex',
    cm,
    m({ assertions: [{ source: 'body', op: 'matches', value: '([a-z' }] }),
    'assertions[0]: "([a-z" is not a valid regular expression.',
  ],
  [
    'lt with a string',
    cm,
    m({ assertions: [{ source: 'latencyMs', op: 'lt', value: 'fast' }] }),
    'assertions[0]: op "lt" compares numbers, so value must be a number.',
  ],
  [
    'eq without a value',
    cm,
    m({ assertions: [{ source: 'status', op: 'eq' }] }),
    'assertions[0]: op "eq" needs a value to compare with.',
  ],
  [
    'certDaysLeft on http',
    cm,
    m({ assertions: [{ source: 'certDaysLeft', op: 'gt', value: 5 }] }),
    'assertions[0]: source "certDaysLeft" does not apply to a http monitor (use status, latencyMs, body, json, header).',
  ],
  [
    'interval under the plan minimum',
    cm,
    m({ intervalSeconds: 299 }),
    'intervalSeconds must be at least 300 on the free plan; you asked for 299.',
  ],
  [
    'a secret that does not exist',
    cm,
    m({ headers: { Authorization: 'Bearer {{secrets.NOPE}}' } }),
    'The monitor refers to {{secrets.NOPE}}, but you have no secret named NOPE: create it with set_secret first.',
  ],
  [
    'a secret that does not exist, in the URL',
    cm,
    m({ target: 'https://example.com/?k={{secrets.MISSING_ONE}}' }),
    'The monitor refers to {{secrets.MISSING_ONE}}, but you have no secret named MISSING_ONE: create it with set_secret first.',
  ],
  [
    'a duplicate name',
    cm,
    m({ name: 'Existing' }),
    'You already have a monitor named "Existing": choose another name, or update that one.',
  ],
  [
    'a duplicate name with spaces around it',
    cm,
    m({ name: '  Existing ' }),
    'You already have a monitor named "Existing": choose another name, or update that one.',
  ],
  [
    'tcp without a port',
    cm,
    m({ type: 'tcp', target: 'db.example.com' }),
    'The target "db.example.com" needs a port, like example.com:5432.',
  ],
  [
    'tcp with port 0',
    cm,
    m({ type: 'tcp', target: 'db.example.com:0' }),
    'The port in "db.example.com:0" must be between 1 and 65535.',
  ],
  [
    'tcp with a URL',
    cm,
    m({ type: 'tcp', target: 'https://db.example.com:5432' }),
    'The target "https://db.example.com:5432" must look like host:port (IPv6 as [::1]:443).',
  ],
  [
    'dns with a bad name',
    cm,
    m({ type: 'dns', target: 'not a host!' }),
    'The name "not a host!" is not a valid host name or IP address.',
  ],
  [
    'http-only field on tcp',
    cm,
    m({ type: 'tcp', target: 'db.example.com:5432', keyword: 'x' }),
    'keyword applies only to http monitors, not tcp.',
  ],
  ['a body with GET', cm, m({ body: 'x' }), 'A request body needs a method that sends one: set method to POST, PUT or PATCH.'],
  [
    'a bad expectedStatus',
    cm,
    m({ expectedStatus: '2xx' }),
    'expectedStatus "2xx" must be codes or ranges like "200-399" or "200,204".',
  ],
  [
    'a header with a line break',
    cm,
    m({ headers: { 'X-A': 'a\r\nX-B: b' } }),
    'The value of header "X-A" must not contain line breaks.',
  ],
  ['a bad header name', cm, m({ headers: { 'Bad Header': 'x' } }), '"Bad Header" is not a valid header name.'],

  // update_monitor
  ['update: no id', um, { name: 'x' }, inv(um, '"id" is required.')],
  ['update: id as a number', um, { id: 7 }, inv(um, '"id" must be a string, not a number.')],
  ['update: 1 MB id', um, { id: MB }, inv(um, '"id" is not a monitor id.')],
  ['update: empty id', um, { id: '' }, NO_MONITOR],
  ['update: unknown id', um, { id: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'x' }, NO_MONITOR],
  ['update: unknown field', um, (ids) => ({ id: ids.monitorId, colour: 1 }), inv(um, 'unknown field "colour".')],
  [
    'update: empty name',
    um,
    (ids) => ({ id: ids.monitorId, name: '' }),
    'name is required: give the monitor a short name, e.g. "Homepage".',
  ],
  ['update: empty target', um, (ids) => ({ id: ids.monitorId, target: '' }), 'target is required for a http monitor.'],
  ['update: 1 MB name', um, (ids) => ({ id: ids.monitorId, name: MB }), tooBig(um, 'name', 100)],
  [
    'update: ftp URL',
    um,
    (ids) => ({ id: ids.monitorId, target: 'ftp://x.example.com/' }),
    'Only http and https URLs can be monitored, not ftp.',
  ],
  [
    'update: negative interval',
    um,
    (ids) => ({ id: ids.monitorId, intervalSeconds: -1 }),
    'intervalSeconds must be a positive number of seconds.',
  ],
  [
    'update: interval under the minimum',
    um,
    (ids) => ({ id: ids.monitorId, intervalSeconds: 30 }),
    'intervalSeconds must be at least 300 on the free plan; you asked for 30.',
  ],
  [
    'update: 1e308 timeout',
    um,
    (ids) => ({ id: ids.monitorId, timeoutMs: 1e308 }),
    /^Invalid input for update_monitor: "timeoutMs" /,
  ],
  [
    'update: a missing secret',
    um,
    (ids) => ({ id: ids.monitorId, body: '{{secrets.GONE}}', method: 'POST' }),
    'The monitor refers to {{secrets.GONE}}, but you have no secret named GONE: create it with set_secret first.',
  ],
  [
    'update: a duplicate name',
    um,
    (ids) => ({ id: ids.monitorId, name: 'Second' }),
    'You already have a monitor named "Second": choose another name, or update that one.',
  ],
  [
    'update: to tcp without a port',
    um,
    (ids) => ({ id: ids.monitorId, type: 'tcp', target: 'db.example.com' }),
    'The target "db.example.com" needs a port, like example.com:5432.',
  ],
  ['update: to tcp keeping the URL', um, (ids) => ({ id: ids.monitorId, type: 'tcp' }), 'target is required for a tcp monitor.'],
  [
    'update: invalid regex',
    um,
    (ids) => ({ id: ids.monitorId, assertions: [{ source: 'body', op: 'matches', value: '*' }] }),
    'assertions[0]: "*" is not a valid regular expression.',
  ],

  // get / delete / pause / resume / list monitors
  ['get: no id', 'get_monitor', {}, inv('get_monitor', '"id" is required.')],
  ['get: id as null', 'get_monitor', { id: null }, inv('get_monitor', '"id" must be a string, not null.')],
  ['get: empty id', 'get_monitor', { id: '' }, NO_MONITOR],
  ['get: 1 MB id', 'get_monitor', { id: MB }, inv('get_monitor', '"id" is not a monitor id.')],
  [
    'get: unknown field',
    'get_monitor',
    (ids) => ({ id: ids.monitorId, full: true }),
    inv('get_monitor', 'unknown field "full".'),
  ],
  ['delete: id as a list', 'delete_monitor', { id: ['x'] }, inv('delete_monitor', '"id" must be a string, not a list.')],
  ['delete: unknown id', 'delete_monitor', { id: 'nope' }, NO_MONITOR],
  ['delete: 1 MB id', 'delete_monitor', { id: MB }, inv('delete_monitor', '"id" is not a monitor id.')],
  ['pause: no id', 'pause_monitor', {}, inv('pause_monitor', '"id" is required.')],
  ['pause: empty id', 'pause_monitor', { id: '' }, NO_MONITOR],
  ['resume: id as a number', 'resume_monitor', { id: 1 }, inv('resume_monitor', '"id" must be a string, not a number.')],
  ['resume: unknown id', 'resume_monitor', { id: 'nope' }, NO_MONITOR],
  ['list: limit -1', 'list_monitors', { limit: -1 }, inv('list_monitors', '"limit" must be at least 1.')],
  ['list: limit 0', 'list_monitors', { limit: 0 }, inv('list_monitors', '"limit" must be at least 1.')],
  ['list: limit 1e308', 'list_monitors', { limit: 1e308 }, /^Invalid input for list_monitors: "limit" must be .*at most 200\.$/],
  ['list: limit as a string', 'list_monitors', { limit: '10' }, inv('list_monitors', '"limit" must be a number, not a string.')],
  ['list: unknown status', 'list_monitors', { status: 'broken' }, oneOf('list_monitors', 'status', 'up')],
  ['list: 1 MB query', 'list_monitors', { query: MB }, tooBig('list_monitors', 'query', 200)],
  ['list: bad cursor', 'list_monitors', { cursor: 'garbage' }, BAD_CURSOR],
  ['list: 1 MB cursor', 'list_monitors', { cursor: MB }, inv('list_monitors', '"cursor" is not a cursor this server gave out.')],
  ['list: unknown field', 'list_monitors', { page: 2 }, inv('list_monitors', 'unknown field "page".')],

  // secrets
  ['set_secret: no arguments', 'set_secret', undefined, inv('set_secret', '"name" is required; "value" is required.')],
  ['set_secret: missing value', 'set_secret', { name: 'A' }, inv('set_secret', '"value" is required.')],
  [
    'set_secret: value as a number',
    'set_secret',
    { name: 'A', value: 12345 },
    inv('set_secret', '"value" must be a string, not a number.'),
  ],
  [
    'set_secret: value as an object',
    'set_secret',
    { name: 'A', value: { v: 1 } },
    inv('set_secret', '"value" must be a string, not an object.'),
  ],
  ['set_secret: empty name', 'set_secret', { name: '', value: 'x' }, SECRET_NAME],
  ['set_secret: name with a space', 'set_secret', { name: 'MY TOKEN', value: 'x' }, SECRET_NAME],
  ['set_secret: name starting with a digit', 'set_secret', { name: '1TOKEN', value: 'x' }, SECRET_NAME],
  ['set_secret: empty value', 'set_secret', { name: 'A', value: '' }, 'The secret value is empty: give the value to store.'],
  ['set_secret: 1 MB value', 'set_secret', { name: 'A', value: MB }, inv('set_secret', '"value" must be at most 8192 bytes.')],
  [
    'set_secret: 8 KB of 2-byte characters',
    'set_secret',
    { name: 'A', value: 'é'.repeat(5000) },
    'A secret value can be at most 8192 bytes.',
  ],
  ['set_secret: 1 MB name', 'set_secret', { name: MB, value: 'x' }, inv('set_secret', '"name" must be at most 64 characters.')],
  ['set_secret: unknown field', 'set_secret', { name: 'A', value: 'x', ttl: 5 }, inv('set_secret', 'unknown field "ttl".')],
  ['list_secrets: limit -1', 'list_secrets', { limit: -1 }, inv('list_secrets', '"limit" must be at least 1.')],
  [
    'list_secrets: limit 1e308',
    'list_secrets',
    { limit: 1e308 },
    /^Invalid input for list_secrets: "limit" must be .*at most 200\.$/,
  ],
  ['list_secrets: bad cursor', 'list_secrets', { cursor: 'x' }, BAD_CURSOR],
  ['list_secrets: unknown field', 'list_secrets', { values: true }, inv('list_secrets', 'unknown field "values".')],
  ['delete_secret: no name', 'delete_secret', {}, inv('delete_secret', '"name" is required.')],
  [
    'delete_secret: name as a boolean',
    'delete_secret',
    { name: true },
    inv('delete_secret', '"name" must be a string, not a boolean.'),
  ],
  ['delete_secret: empty name', 'delete_secret', { name: '' }, SECRET_NAME],
  [
    'delete_secret: unknown name',
    'delete_secret',
    { name: 'NOPE' },
    'You have no secret named NOPE: call list_secrets to see their names.',
  ],
  [
    'delete_secret: in use',
    'delete_secret',
    { name: 'TOKEN' },
    'Secret TOKEN is used by monitor "Existing": change or delete it first.',
  ],
  ['delete_secret: 1 MB name', 'delete_secret', { name: MB }, inv('delete_secret', '"name" must be at most 64 characters.')],

  // alert rules
  ['rule: no arguments', cr, undefined, inv(cr, '"condition" is required.')],
  ['rule: condition as a string', cr, { condition: 'down' }, inv(cr, '"condition" must be an object, not a string.')],
  ['rule: unknown condition', cr, { condition: { type: 'slow' } }, oneOf(cr, 'condition.type', 'down')],
  ['rule: latencyAbove without ms', cr, { condition: { type: 'latencyAbove' } }, 'A latencyAbove condition needs condition.ms.'],
  ['rule: valueBelow without value', cr, { condition: { type: 'valueBelow' } }, 'A valueBelow condition needs condition.value.'],
  ['rule: ms on down', cr, { condition: { type: 'down', ms: 100 } }, 'condition.ms does not apply to a down condition.'],
  ['rule: negative ms', cr, { condition: { type: 'latencyAbove', ms: -1 } }, inv(cr, '"condition.ms" must be at least 1.')],
  [
    'rule: 1e308 ms',
    cr,
    { condition: { type: 'latencyAbove', ms: 1e308 } },
    /^Invalid input for create_alert_rule: "condition\.ms" /,
  ],
  [
    'rule: ms as a string',
    cr,
    { condition: { type: 'latencyAbove', ms: '100' } },
    inv(cr, '"condition.ms" must be a number, not a string.'),
  ],
  [
    'rule: negative days',
    cr,
    { condition: { type: 'certExpiresWithin', days: -1 } },
    inv(cr, '"condition.days" must be at least 1.'),
  ],
  ['rule: unknown field in the condition', cr, { condition: { type: 'down', when: 'now' } }, inv(cr, 'unknown field "when".')],
  ['rule: unknown field', cr, { condition: { type: 'down' }, priority: 1 }, inv(cr, 'unknown field "priority".')],
  [
    'rule: webhook with an ftp URL',
    cr,
    { condition: { type: 'down' }, channels: [{ type: 'webhook', url: 'ftp://hooks.example.com/x' }] },
    'channels[0]: a webhook URL must be http or https.',
  ],
  [
    'rule: webhook without a url',
    cr,
    { condition: { type: 'down' }, channels: [{ type: 'webhook' }] },
    'channels[0]: a webhook channel needs a url.',
  ],
  [
    'rule: webhook with a bad url',
    cr,
    { condition: { type: 'down' }, channels: [{ type: 'email' }, { type: 'webhook', url: 'hooks' }] },
    'channels[1]: "hooks" is not a URL.',
  ],
  [
    'rule: email with a url',
    cr,
    { condition: { type: 'down' }, channels: [{ type: 'email', url: 'https://x.example.com' }] },
    'channels[0]: an email channel takes no url (mail goes to your sign-in address).',
  ],
  [
    'rule: no channels',
    cr,
    { condition: { type: 'down' }, channels: [] },
    'channels must name at least one channel, e.g. [{"type": "email"}].',
  ],
  [
    'rule: unknown channel type',
    cr,
    { condition: { type: 'down' }, channels: [{ type: 'sms' }] },
    oneOf(cr, 'channels.0.type', 'email'),
  ],
  [
    'rule: 1 MB webhook url',
    cr,
    { condition: { type: 'down' }, channels: [{ type: 'webhook', url: MB }] },
    tooBig(cr, 'channels.0.url', 2048),
  ],
  ['rule: empty name', cr, { condition: { type: 'down' }, name: '' }, 'name must not be empty.'],
  ['rule: 1 MB name', cr, { condition: { type: 'down' }, name: MB }, tooBig(cr, 'name', 200)],
  ['rule: empty monitorId', cr, { condition: { type: 'down' }, monitorId: '' }, NO_MONITOR],
  ['rule: unknown monitorId', cr, { condition: { type: 'down' }, monitorId: 'nope' }, NO_MONITOR],
  ['rule: 1 MB monitorId', cr, { condition: { type: 'down' }, monitorId: MB }, inv(cr, '"monitorId" is not a monitor id.')],
  ['rule: negative forChecks', cr, { condition: { type: 'down' }, forChecks: -1 }, inv(cr, '"forChecks" must be at least 1.')],
  [
    'rule: 1e308 forChecks',
    cr,
    { condition: { type: 'down' }, forChecks: 1e308 },
    /^Invalid input for create_alert_rule: "forChecks" /,
  ],
  [
    'rule: recoverChecks 0',
    cr,
    { condition: { type: 'down' }, recoverChecks: 0 },
    inv(cr, '"recoverChecks" must be at least 1.'),
  ],
  [
    'rule: negative repeatMinutes',
    cr,
    { condition: { type: 'down' }, repeatMinutes: -1 },
    'repeatMinutes must be between 0 and 10080.',
  ],
  ['rule: unknown severity', cr, { condition: { type: 'down' }, severity: 'huge' }, oneOf(cr, 'severity', 'info')],
  [
    'rule: certExpiresWithin on an http monitor',
    cr,
    (ids) => ({ monitorId: ids.monitorId, condition: { type: 'certExpiresWithin', days: 7 } }),
    'certExpiresWithin applies to tls monitors; this monitor is not one.',
  ],
  ['update rule: no id', ur, { name: 'x' }, inv(ur, '"id" is required.')],
  ['update rule: unknown id', ur, { id: 'nope' }, NO_RULE],
  ['update rule: empty id', ur, { id: '' }, NO_RULE],
  ['update rule: 1 MB id', ur, { id: MB }, inv(ur, '"id" is not a rule id.')],
  [
    'update rule: latencyAbove without ms',
    ur,
    (ids) => ({ id: ids.ruleId, condition: { type: 'latencyAbove' } }),
    'A latencyAbove condition needs condition.ms.',
  ],
  [
    'update rule: ftp webhook',
    ur,
    (ids) => ({ id: ids.ruleId, channels: [{ type: 'webhook', url: 'ftp://h.example.com' }] }),
    'channels[0]: a webhook URL must be http or https.',
  ],
  ['update rule: empty name', ur, (ids) => ({ id: ids.ruleId, name: '  ' }), 'name must not be empty.'],
  ['update rule: empty monitorId', ur, (ids) => ({ id: ids.ruleId, monitorId: '' }), NO_MONITOR],
  ['update rule: unknown monitorId', ur, (ids) => ({ id: ids.ruleId, monitorId: 'nope' }), NO_MONITOR],
  ['update rule: forChecks 101', ur, (ids) => ({ id: ids.ruleId, forChecks: 101 }), inv(ur, '"forChecks" must be at most 100.')],
  [
    'update rule: enabled as a number',
    ur,
    (ids) => ({ id: ids.ruleId, enabled: 1 }),
    inv(ur, '"enabled" must be a boolean, not a number.'),
  ],
  ['delete rule: no id', 'delete_alert_rule', {}, inv('delete_alert_rule', '"id" is required.')],
  ['delete rule: unknown id', 'delete_alert_rule', { id: 'nope' }, NO_RULE],
  ['delete rule: empty id', 'delete_alert_rule', { id: '' }, NO_RULE],
  ['list rules: limit 201', 'list_alert_rules', { limit: 201 }, inv('list_alert_rules', '"limit" must be at most 200.')],
  [
    'list rules: monitorId as a number',
    'list_alert_rules',
    { monitorId: 5 },
    inv('list_alert_rules', '"monitorId" must be a string, not a number.'),
  ],
  ['list rules: bad cursor', 'list_alert_rules', { cursor: '!!' }, BAD_CURSOR],

  // alerts
  ['list alerts: unknown state', 'list_alerts', { state: 'burning' }, oneOf('list_alerts', 'state', 'firing')],
  ['list alerts: limit -1', 'list_alerts', { limit: -1 }, inv('list_alerts', '"limit" must be at least 1.')],
  ['list alerts: 1 MB monitorId', 'list_alerts', { monitorId: MB }, inv('list_alerts', '"monitorId" is not a monitor id.')],
  ['list alerts: bad cursor', 'list_alerts', { cursor: 'abc' }, BAD_CURSOR],
  ['list alerts: unknown field', 'list_alerts', { severity: 'critical' }, inv('list_alerts', 'unknown field "severity".')],
  ['acknowledge: no id', 'acknowledge_alert', {}, inv('acknowledge_alert', '"id" is required.')],
  ['acknowledge: unknown id', 'acknowledge_alert', { id: 'nope' }, NO_ALERT],
  ['acknowledge: empty id', 'acknowledge_alert', { id: '' }, NO_ALERT],
  ['acknowledge: 1 MB id', 'acknowledge_alert', { id: MB }, inv('acknowledge_alert', '"id" is not an alert id.')],
  [
    'acknowledge: unknown field',
    'acknowledge_alert',
    (ids) => ({ id: ids.alertId, note: 'x' }),
    inv('acknowledge_alert', 'unknown field "note".'),
  ],
  ['resolve: id as a number', 'resolve_alert', { id: 5 }, inv('resolve_alert', '"id" must be a string, not a number.')],
  ['resolve: unknown id', 'resolve_alert', { id: 'nope' }, NO_ALERT],
  ['resolve: empty id', 'resolve_alert', { id: '' }, NO_ALERT],
];

describe.each(backends)('bad input to the monitor, secret, rule and alert tools over stdio (%s)', (backend) => {
  let t: TestEnv;
  let server: StdioServer;
  let reader: AllTablesReader;
  let before: FullSnapshot;
  const ids = {} as Ids;

  beforeAll(async () => {
    t = await makeEnv(backend, { MONITORS_MCP_WORKER: 'off' });
    server = await startServer(t.env);
    const ok = async (name: string, args: Record<string, unknown>) => {
      const r = await server.client.callTool({ name, arguments: args });
      expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
      return r.structuredContent as Record<string, { id: string }>;
    };
    await ok('request_login_code', { email: 'val@example.com' });
    await ok('verify_login_code', { email: 'val@example.com', code: await server.codeFor('val@example.com') });
    await ok('set_secret', { name: 'TOKEN', value: 'tok-value' });
    ids.monitorId = (
      await ok('create_monitor', {
        name: 'Existing',
        type: 'http',
        target: URL_OK,
        headers: { Authorization: 'Bearer {{secrets.TOKEN}}' },
      })
    ).monitor!.id;
    await ok('create_monitor', { name: 'Second', type: 'tcp', target: 'db.example.com:5432' });
    ids.ruleId = (await ok('create_alert_rule', { monitorId: ids.monitorId, condition: { type: 'down' } })).rule!.id;
    // An alert, as the engine would open it.
    const app = makeApp(t.env);
    const { database } = await app.services();
    const user = await database.db.selectFrom('users').select('id').executeTakeFirstOrThrow();
    ids.alertId = 'alert-0000000000000001';
    await database.db
      .insertInto('alerts')
      .values({
        id: ids.alertId,
        user_id: user.id,
        rule_id: ids.ruleId,
        monitor_id: ids.monitorId,
        open_key: `${ids.ruleId}:${ids.monitorId}`,
        state: 'firing',
        severity: 'warning',
        message: 'Existing is down',
        opened_at: Date.now(),
        acknowledged_at: null,
        resolved_at: null,
        last_notified_at: null,
        updated_at: Date.now(),
      })
      .execute();
    await app.close();
    reader = await openAllTables(t);
    before = await reader.snapshot();
    expect(before.monitors).toHaveLength(2);
    expect(before.alerts).toHaveLength(1);
  });

  afterAll(async () => {
    await reader?.close();
    await server?.close();
    await t?.cleanup();
  });

  it.each(cases)('%s (%s)', async (_label, tool, args, text) => {
    const input = typeof args === 'function' ? args(ids) : args;
    const r = await server.client.callTool({ name: tool, ...(input === undefined ? {} : { arguments: input }) });
    const content = r.content as { type: string; text: string }[];
    expect(r.isError, content[0]?.text).toBe(true);
    expect(r.structuredContent).toBeUndefined();
    expect(content).toHaveLength(1);
    expect(content[0]!.type).toBe('text');
    const said = content[0]!.text;
    // One sentence: one line, one final full stop, short, and never the 1 MB it was given.
    expect(said).not.toContain('\n');
    expect(said).toMatch(/[.]$/);
    expect(said.length).toBeLessThan(400);
    if (typeof text === 'string') expect(said).toBe(text);
    else expect(said).toMatch(text);
    expect(await reader.snapshot()).toEqual(before);
  });

  it('the server is still well after all of it, and the good calls still work', async () => {
    const r = await server.client.callTool({ name: 'get_monitor', arguments: { id: ids.monitorId } });
    expect(r.isError).toBeFalsy();
    expect((r.structuredContent as { monitor: { name: string } }).monitor.name).toBe('Existing');
    expect(server.stderr()).not.toMatch(/"level":"error"/);
  });
});
