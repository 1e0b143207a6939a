// npm run demo: the fastest way to see monitors-mcp work. It starts the built
// server (dist/index.js) over stdio on the embedded default in a throwaway
// home, signs in with the emailed code, watches a local "site" with a secret
// token, breaks the site, and shows the alert fire and resolve by itself, with
// its email and webhook. Everything is local; every wait is bounded.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const serverEntry = join(root, 'dist', 'index.js');
const EMAIL = 'newcomer@example.com';
const TOKEN = `demo-${randomBytes(8).toString('hex')}`;
const MAILER_START = '----- monitors-mcp console mailer -----';
const MAILER_END = '----- end of message';
const DEADLINE_MS = 110_000;

// ---------------------------------------------------------------- output

const colour = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code) => (s) => (colour ? `\x1b[${code}m${s}\x1b[0m` : String(s));
const c = { bold: paint('1'), dim: paint('2'), red: paint('31'), green: paint('32'), yellow: paint('33'), cyan: paint('36') };
const started = Date.now();
const stamp = () => c.dim(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`);
const INDENT = ' '.repeat(9);

const say = (text) => console.log(`${stamp()} ${text}`);
const step = (text) => console.log(`\n${stamp()} ${c.bold(text)}`);
const more = (text) => console.log(`${INDENT}${text}`);
const ok = (text) => console.log(`${INDENT}${c.green('✓')} ${text}`);
const clip = (s, n = 160) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

class DemoFailure extends Error {}

// ---------------------------------------------------------------- state, cleanup

const state = {
  home: undefined,
  client: undefined,
  site: undefined,
  hook: undefined,
  stderr: '',
  /** Every text the server sent back, for the secret check. */
  answers: [],
  toolAnswers: 0,
  broken: false,
  siteRequests: 0,
  siteGoodToken: 0,
  webhooks: [],
};

let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    const closing = state.client ? state.client.close().catch(() => undefined) : Promise.resolve();
    // close() ends stdin, then SIGTERM after 2 s, SIGKILL after 4 s: the server is gone once it settles.
    await Promise.race([closing, pause(6000)]);
    for (const srv of [state.site, state.hook]) {
      if (!srv) continue;
      srv.closeAllConnections?.();
      await new Promise((r) => srv.close(() => r()));
    }
    if (state.home) rmSync(state.home, { recursive: true, force: true });
  })();
  return cleaning;
}

async function fail(message) {
  if (interrupted) return; // Ctrl-C: the signal handler is already cleaning up
  console.log(`\n${stamp()} ${c.red('✗ The demo stopped:')} ${message}`);
  const tail = state.stderr.trim().split('\n').slice(-25);
  if (tail.length > 0 && tail[0] !== '') {
    console.log(c.dim(`${INDENT}The server's last log lines (stderr):`));
    for (const line of tail) console.log(c.dim(`${INDENT}  ${clip(line, 300)}`));
  }
  await cleanup();
  console.log(c.dim(`${INDENT}The temporary home was removed. Run \`npm run demo\` again, or see README.md.`));
  process.exit(1);
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.log(`\n${stamp()} ${c.yellow(`Interrupted (${sig}): stopping the server and removing the temporary home…`)}`);
    await cleanup();
    process.exit(130);
  });
}
process.on('unhandledRejection', (err) => fail(`unexpected error: ${err?.stack ?? err}`));
process.on('uncaughtException', (err) => fail(`unexpected error: ${err?.stack ?? err}`));

const watchdog = setTimeout(() => fail(`the demo did not finish within ${DEADLINE_MS / 1000} s.`), DEADLINE_MS);

// ---------------------------------------------------------------- helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** A sleep that does not keep the process alive. */
const pause = (ms) => new Promise((r) => setTimeout(r, ms).unref());

/** Polls `probe` until it returns a truthy value, at most `ms`; otherwise the demo fails with `what`. */
async function waitFor(what, ms, probe, everyMs = 250) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() >= end) throw new DemoFailure(`${what} did not happen within ${ms / 1000} s.`);
    await sleep(everyMs);
  }
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

/** Calls a tool; prints the call unless quiet; fails the demo on an error answer. */
async function call(name, args = {}, { quiet = false, shownArgs } = {}) {
  if (!quiet) say(`${c.cyan('→')} ${c.cyan(name)} ${c.dim(JSON.stringify(shownArgs ?? args))}`);
  let res;
  try {
    res = await state.client.callTool({ name, arguments: args }, undefined, { timeout: 20_000 });
  } catch (err) {
    throw new DemoFailure(`${name} failed: ${err.message}`);
  }
  state.answers.push(JSON.stringify(res));
  state.toolAnswers++;
  if (res.isError) throw new DemoFailure(`${name} answered an error: ${res.content?.[0]?.text ?? JSON.stringify(res)}`);
  return res.structuredContent ?? {};
}

const answer = (text) => more(`${c.green('←')} ${text}`);

/** The console mailer's messages on the server's stderr: to, subject, the text. */
function mails() {
  const out = [];
  for (const part of state.stderr.split(MAILER_START).slice(1)) {
    const end = part.indexOf(MAILER_END);
    if (end < 0) continue; // still being written
    const body = part.slice(0, end);
    const field = (k) => new RegExp(`^${k}: (.*)$`, 'm').exec(body)?.[1] ?? '';
    const text = body.split('\n\n').slice(1).join('\n\n').trim();
    const saved = /\(saved to (.*)\) -----/.exec(part.slice(end))?.[1] ?? '';
    out.push({ to: field('To'), subject: field('Subject'), text, saved });
  }
  return out;
}

function showMail(m, lines = 1) {
  more(`${c.yellow('✉')} To: ${m.to}`);
  more(`  Subject: ${m.subject}`);
  for (const l of m.text.split('\n').slice(0, lines)) more(c.dim(`  ${clip(l)}`));
}

const hhmmss = (iso) => new Date(iso).toISOString().slice(11, 19);

// ---------------------------------------------------------------- the demo

async function main() {
  if (!existsSync(serverEntry)) {
    console.log(`${c.red('✗')} ${serverEntry} is missing: run \`npm ci\` first (it installs and builds), then \`npm run demo\`.`);
    process.exit(1);
  }
  let Client;
  let StdioClientTransport;
  try {
    ({ Client } = await import('@modelcontextprotocol/sdk/client/index.js'));
    ({ StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js'));
  } catch {
    console.log(`${c.red('✗')} The MCP SDK is not installed: run \`npm ci\` first, then \`npm run demo\`.`);
    process.exit(1);
  }

  console.log(c.bold('monitors-mcp demo: an assistant signs in, watches a site, and gets alerted when it breaks.'));
  console.log(c.dim('Everything runs on this machine and is thrown away at the end (about 25 seconds).'));

  // 1. A throwaway home, a site we can break, and a webhook receiver.
  step('Setting the stage');
  state.home = mkdtempSync(join(tmpdir(), 'monitors-demo-'));
  say(`Temporary MONITORS_MCP_HOME: ${state.home}`);

  state.site = createServer((req, res) => {
    state.siteRequests++;
    const auth = req.headers.authorization ?? '';
    if (auth === `Bearer ${TOKEN}`) state.siteGoodToken++;
    res.setHeader('content-type', 'application/json');
    if (state.broken) {
      // A careless error page that echoes the request's Authorization header.
      res.writeHead(500);
      res.end(JSON.stringify({ status: `failing (you sent Authorization: ${auth})` }));
    } else if (auth !== `Bearer ${TOKEN}`) {
      res.writeHead(401);
      res.end(JSON.stringify({ status: 'unauthorized' }));
    } else {
      res.writeHead(200);
      res.end(JSON.stringify({ status: 'ok', message: 'Welcome to the demo shop' }));
    }
  });
  const sitePort = await listen(state.site);
  const siteUrl = `http://127.0.0.1:${sitePort}/health`;
  say(`Local site:        ${siteUrl} ${c.dim('(answers 200 "Welcome…" only with the right token)')}`);

  state.hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      state.answers.push(body);
      let json;
      try {
        json = JSON.parse(body);
      } catch {
        json = { unparsed: body };
      }
      state.webhooks.push(json);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  const hookPort = await listen(state.hook);
  const hookUrl = `http://127.0.0.1:${hookPort}/hook`;
  say(`Webhook receiver:  ${hookUrl}`);

  // 2. The server, as an MCP client starts it.
  step('Starting the server over stdio (the way Claude Desktop or any MCP client does)');
  const env = {
    MONITORS_MCP_HOME: state.home,
    MONITORS_MCP_DOTENV: 'off',
    ALLOW_PRIVATE_TARGETS: 'true',
    PLAN_FREE_MIN_INTERVAL_SECONDS: '10',
    WORKER_POLL_MS: '250',
  };
  say(
    `node dist/index.js  ${c.dim(
      Object.entries(env)
        .map(([k, v]) => `${k}=${k === 'MONITORS_MCP_HOME' ? '…' : v}`)
        .join(' '),
    )}`,
  );
  const transport = new StdioClientTransport({ command: process.execPath, args: [serverEntry], env, stderr: 'pipe' });
  transport.stderr?.on('data', (d) => {
    state.stderr += d.toString();
  });
  state.client = new Client({ name: 'monitors-demo', version: '1.0.0' });
  try {
    await Promise.race([
      state.client.connect(transport),
      sleep(20_000).then(() => {
        throw new Error('no answer to initialize within 20 s');
      }),
    ]);
  } catch (err) {
    throw new DemoFailure(`the server did not start: ${err.message}`);
  }
  const info = state.client.getServerVersion();
  const { tools } = await state.client.listTools(undefined, { timeout: 20_000 });
  ok(`Connected to ${info?.name ?? 'the server'} ${info?.version ?? ''}: ${tools.length} tools`);

  // 3. Sign in with an emailed code.
  step('Signing in with an emailed code');
  const who = await call('whoami');
  answer(`signedIn: ${who.signedIn}`);
  const req = await call('request_login_code', { email: EMAIL });
  answer(`sent: ${req.sent}, delivery: ${req.delivery}, expires in ${req.expiresInSeconds / 60} min`);
  const loginMail = await waitFor("The sign-in email on the server's stderr", 10_000, () =>
    mails().find((m) => m.to === EMAIL && /^\d{6}$/m.test(m.text)),
  );
  const code = /^(\d{6})$/m.exec(loginMail.text)[1];
  say(`No mail service is configured, so the console mailer printed the email on the server's stderr:`);
  more(`${c.yellow('✉')} To: ${loginMail.to}`);
  more(`  Subject: ${loginMail.subject}`);
  more(`  Code: ${c.bold(code)}  ${c.dim(`(also saved in ${loginMail.saved.replace(state.home, '$MONITORS_MCP_HOME')})`)}`);
  const verified = await call('verify_login_code', { email: EMAIL, code });
  answer(`signedIn: ${verified.signedIn} as ${verified.user.email} (plan ${verified.user.tier}), until ${verified.expiresAt}`);

  // 4. A secret, a monitor that uses it, and an alert rule.
  step('Storing a token and creating a monitor that uses it');
  const secret = await call('set_secret', { name: 'DEMO_TOKEN', value: TOKEN });
  answer(`secret ${secret.secret.name} stored (encrypted; no tool ever shows the value again)`);
  const created = await call('create_monitor', {
    name: 'Demo shop',
    type: 'http',
    target: siteUrl,
    headers: { Authorization: 'Bearer {{secrets.DEMO_TOKEN}}' },
    keyword: 'Welcome',
    assertions: [{ source: 'json', path: 'status', op: 'eq', value: 'ok' }],
    intervalSeconds: 10,
    timeoutMs: 5000,
  });
  const monitor = created.monitor;
  answer(`monitor ${monitor.id}: status ${monitor.status}, checked every ${monitor.intervalSeconds} s by the server's scheduler`);
  const { rule } = await call('create_alert_rule', {
    monitorId: monitor.id,
    name: 'Demo shop is down',
    condition: { type: 'down' },
    forChecks: 2,
    recoverChecks: 2,
    severity: 'critical',
    channels: [{ type: 'email' }, { type: 'webhook', url: hookUrl }],
  });
  answer(
    `rule ${rule.id} "${rule.name}": fires after ${rule.forChecks} down results in a row, resolves after ${rule.recoverChecks} good ones`,
  );
  more(
    c.dim(
      `  notifies: ${rule.channels.map((ch) => (ch.type === 'email' ? `email to ${EMAIL}` : `webhook ${ch.url}`)).join(', ')}`,
    ),
  );

  // 5. The first scheduled check.
  step('Waiting for the scheduler to run the first check');
  say(`${c.cyan('→')} ${c.cyan('get_monitor')} ${c.dim(JSON.stringify({ id: monitor.id }))} ${c.dim('(asked every 0.3 s)')}`);
  const first = await waitFor(
    'The first check',
    20_000,
    async () => {
      const m = (await call('get_monitor', { id: monitor.id }, { quiet: true })).monitor;
      if (m.status === 'down') throw new DemoFailure(`the first check was down, not up: ${m.lastError}`);
      return m.status === 'up' ? m : undefined;
    },
    300,
  );
  answer(
    `status ${c.green(first.status)}: HTTP ${first.latestResult?.statusCode}, ${first.lastLatencyMs} ms, checked at ${hhmmss(first.lastCheckedAt)}`,
  );
  ok(
    `the site got the real token (${state.siteGoodToken} of ${state.siteRequests} requests had it): {{secrets.DEMO_TOKEN}} was filled in`,
  );

  // 6. Break the site.
  step(`${c.red('Breaking the site')}: from now on it answers HTTP 500 and echoes the Authorization header in its body`);
  state.broken = true;
  const down1 = (await call('run_check', { id: monitor.id })).result;
  answer(`result ${c.red(down1.status)}, HTTP ${down1.statusCode}, stored`);
  more(`  error: ${clip(down1.error ?? '', 400)}`);
  if (!(down1.error ?? '').includes('[secret]'))
    throw new DemoFailure('the stored error does not show [secret] where the token was.');
  ok('the site echoed the token, but the stored error says [secret] instead');

  say(`1 down result so far; the rule needs ${rule.forChecks} in a row. The scheduler's next check is due within 10 s.`);
  say(`${c.cyan('→')} ${c.cyan('list_alerts')} ${c.dim('{"state":"open"}')} ${c.dim('(asked every 0.5 s)')}`);
  const alert = await waitFor(
    'The alert',
    25_000,
    async () => (await call('list_alerts', { state: 'open' }, { quiet: true })).alerts.find((a) => a.monitorId === monitor.id),
    500,
  );
  answer(
    `${c.red(`alert ${alert.state.toUpperCase()}`)} (${alert.severity}), opened ${hhmmss(alert.openedAt)}: ${clip(alert.message, 400)}`,
  );

  step('The notifications went out by themselves');
  const firedHook = await waitFor('The "firing" webhook', 15_000, () =>
    state.webhooks.find((w) => w.event === 'alert.firing' && w.alert?.id === alert.id),
  );
  say(`Webhook POST received at ${hookUrl}:`);
  more(
    c.dim(
      `  ${clip(JSON.stringify({ event: firedHook.event, alert: { id: firedHook.alert.id, state: firedHook.alert.state, severity: firedHook.alert.severity }, monitor: firedHook.monitor }), 400)}`,
    ),
  );
  more(c.dim('  (its alert.message is the one list_alerts showed)'));
  const firedMail = await waitFor('The "Firing" email', 15_000, () =>
    mails().find((m) => m.to === EMAIL && /Firing/.test(m.subject)),
  );
  say(`Email (console mailer, on the server's stderr):`);
  showMail(firedMail);

  // 7. Heal the site.
  step(`${c.green('Healing the site')}: it answers 200 "Welcome…" again`);
  state.broken = false;
  const up1 = (await call('run_check', { id: monitor.id })).result;
  answer(`result ${c.green(up1.status)}, HTTP ${up1.statusCode}, ${up1.latencyMs} ms, stored`);
  say(`1 good result so far; the rule needs ${rule.recoverChecks}. Waiting for the scheduler's next check…`);
  say(
    `${c.cyan('→')} ${c.cyan('list_alerts')} ${c.dim(JSON.stringify({ monitorId: monitor.id }))} ${c.dim('(asked every 0.5 s)')}`,
  );
  const resolved = await waitFor(
    'The alert resolving',
    25_000,
    async () =>
      (await call('list_alerts', { monitorId: monitor.id }, { quiet: true })).alerts.find(
        (a) => a.id === alert.id && a.state === 'resolved',
      ),
    500,
  );
  answer(
    `${c.green('alert RESOLVED')} at ${hhmmss(resolved.resolvedAt)} (open for ${Math.round((Date.parse(resolved.resolvedAt) - Date.parse(resolved.openedAt)) / 1000)} s)`,
  );
  const resolvedHook = await waitFor('The "resolved" webhook', 15_000, () =>
    state.webhooks.find((w) => w.event === 'alert.resolved' && w.alert?.id === alert.id),
  );
  say(
    `Webhook POST received: ${c.dim(clip(JSON.stringify({ event: resolvedHook.event, alert: { id: resolvedHook.alert.id, state: resolvedHook.alert.state, resolvedAt: resolvedHook.alert.resolvedAt } }), 300))}`,
  );
  const resolvedMail = await waitFor('The "Resolved" email', 15_000, () =>
    mails().find((m) => m.to === EMAIL && /Resolved/.test(m.subject)),
  );
  say(`Email:`);
  showMail(resolvedMail, 0);

  // 8. History.
  step('How has it been doing?');
  const history = await call('get_monitor_history', { id: monitor.id });
  const s = history.summary;
  answer(
    `summary over the last 24 h: ${s.checks} checks, uptime ${s.uptimePercent}%, p50 ${s.p50LatencyMs} ms, p95 ${s.p95LatencyMs} ms`,
  );
  for (const r of [...history.results].reverse()) {
    const st = r.status === 'up' ? c.green('up  ') : c.red('down');
    const got = r.error ? (/failed: (got .*)$/.exec(r.error)?.[1] ?? clip(r.error, 60)) : '';
    const why = got ? c.dim(`  error: … ${got}`) : '';
    more(`${c.dim(`  ${hhmmss(r.checkedAt)} `)}${st} HTTP ${r.statusCode ?? '-'} ${String(r.latencyMs).padStart(4)} ms${why}`);
  }

  // 9. The secret never came back.
  step('Checking the token never came back out');
  const outbox = join(state.home, 'outbox');
  const outboxFiles = existsSync(outbox) ? readdirSync(outbox) : [];
  const outboxText = outboxFiles.map((f) => readFileSync(join(outbox, f), 'utf8')).join('\n');
  const everything = [...state.answers, state.stderr, outboxText].join('\n');
  const seen = everything.split(TOKEN).length - 1;
  if (seen > 0) throw new DemoFailure(`the token appeared ${seen} time(s) in what the server sent back.`);
  ok(
    `The site received the token ${state.siteGoodToken} times, and echoed it back while broken, yet it appears 0 times in ` +
      `${state.toolAnswers} tool answers, ${state.webhooks.length} webhooks, ${outboxFiles.length} emails and ` +
      `${Math.round(state.stderr.length / 1024)} KB of server log: errors, alerts, emails and webhooks say [secret] instead.`,
  );

  // 10. Sign out.
  step('Signing out');
  const out = await call('logout');
  answer(`signedOut: ${out.signedOut}, sessions revoked: ${out.sessionsRevoked}`);

  await cleanup();
  clearTimeout(watchdog);
  console.log(
    `\n${stamp()} ${c.green(c.bold('Done.'))} The server, the site and the temporary home are gone (${((Date.now() - started) / 1000).toFixed(1)} s).`,
  );
  console.log(
    `${INDENT}Next: ${c.bold('README.md')}: "Set up" connects monitors-mcp to Claude Desktop in two commands; "Tools" lists everything an assistant can do.`,
  );
}

main()
  .then(() => process.exit(0))
  .catch((err) => fail(err instanceof DemoFailure ? err.message : `unexpected error: ${err?.stack ?? err}`));
