// The stdio MCP server: tools from tools/index.ts through the shared helper,
// JSON-RPC errors for unknown tools, logs on stderr (and as MCP log
// notifications once the client sets a level), and a prompt, clean exit when
// stdin ends or on SIGTERM.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  type LoggingLevel,
  SetLevelRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../app.js';
import type { Scheduler } from '../monitors/scheduler.js';
import { describeError, jsonSchemaOf, runTool, type ToolDefinition } from './define-tool.js';
import { registerResources } from './resources.js';

const LEVELS: LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

const INSTRUCTIONS =
  'monitors-mcp watches websites, APIs, ports, DNS names and TLS certificates for one signed-in person. ' +
  "Start with whoami; if not signed in, call request_login_code with the person's email, ask them for the 6-digit code, " +
  'then call verify_login_code (the sign-in is kept across restarts). Store API keys with set_secret and refer to them ' +
  'as {{secrets.NAME}} in monitors; values are never shown again. Use list_alerts {"state": "open"} to answer ' +
  '"is anything wrong?".';

export function packageVersion(packageRoot: string): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** Tool calls in progress per server, so a shutdown can let them answer first. */
const pendingCalls = new WeakMap<Server, { pending: number }>();

/** The tools load on first use: `initialize` does not need their schemas. */
const loadAllTools = async () => (await import('./tools/index.js')).allTools;

export function createMcpServer(app: App, tools?: ToolDefinition[]): Server {
  const server = new Server(
    { name: 'monitors-mcp', title: 'Monitors', version: packageVersion(app.config.packageRoot) },
    {
      capabilities: { tools: { listChanged: false }, resources: { listChanged: false }, logging: {} },
      instructions: INSTRUCTIONS,
    },
  );
  let catalog: Promise<{ list: ToolDefinition[]; byName: Map<string, ToolDefinition> }> | undefined;
  const getCatalog = () => {
    catalog ??= (tools ? Promise.resolve(tools) : loadAllTools()).then((list) => ({
      list,
      byName: new Map(list.map((t) => [t.name, t])),
    }));
    return catalog;
  };
  let listed: unknown[] | undefined;

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const { list } = await getCatalog();
    listed ??= list.map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: jsonSchemaOf(t.input, 'input'),
      outputSchema: jsonSchemaOf(t.output, 'output'),
      annotations: { title: t.title, ...t.annotations },
    }));
    return { tools: listed as never };
  });

  const calls = { pending: 0 };
  pendingCalls.set(server, calls);
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    calls.pending++;
    try {
      return await callTool(request, extra);
    } finally {
      calls.pending--;
    }
  });
  const callTool = async (
    request: { params: { name: string; arguments?: Record<string, unknown>; _meta?: { progressToken?: string | number } } },
    extra: {
      signal: AbortSignal;
      sendNotification: (n: { method: 'notifications/progress'; params: Record<string, unknown> }) => Promise<void>;
    },
  ) => {
    const tool = (await getCatalog()).byName.get(request.params.name);
    if (!tool) {
      // A plain error with a code: McpError would prefix its message with "MCP error -32602:".
      const message = `Unknown tool "${request.params.name.slice(0, 60)}": call tools/list to see the tools.`;
      throw Object.assign(new Error(message), { code: ErrorCode.InvalidParams });
    }
    const progressToken = request.params._meta?.progressToken;
    return runTool(tool, request.params.arguments, {
      app,
      signal: extra.signal,
      progress: async (progress, total, message) => {
        if (progressToken === undefined) return;
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) },
        });
      },
    }) as never;
  };

  registerResources(server, app);

  // Log notifications only once the client asks for them with logging/setLevel.
  let clientLevel: LoggingLevel | undefined;
  server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    clientLevel = request.params.level;
    return {};
  });
  app.logger.addSink((level, msg, fields) => {
    if (!clientLevel) return;
    const mcpLevel: LoggingLevel = level === 'warn' ? 'warning' : level;
    if (LEVELS.indexOf(mcpLevel) < LEVELS.indexOf(clientLevel)) return;
    // Errors go to the client as name and code only: driver errors can carry SQL text and values.
    const data: Record<string, unknown> = { msg };
    for (const [k, v] of Object.entries(fields)) {
      data[k] = v instanceof Error ? { name: v.name, code: (v as { code?: unknown }).code } : v;
    }
    server.sendLoggingMessage({ level: mcpLevel, logger: 'monitors-mcp', data }).catch(() => undefined);
  });
  return server;
}

/** Runs the server on stdin/stdout until stdin ends or a signal arrives, then exits within a second. */
export async function serveStdio(app: App): Promise<void> {
  // stdout carries MCP messages only: anything a library prints goes to stderr.
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  console.warn = console.error;

  const server = createMcpServer(app);
  const transport = new StdioServerTransport();
  let stopping = false;
  let scheduler: Scheduler | undefined;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info('shutting down', { why });
    setTimeout(() => process.exit(0), 800).unref();
    // Calls already received get their answers (a client may close stdin right after sending them); running
    // checks are cancelled and their leases released, so another process picks them up.
    const calls = pendingCalls.get(server);
    const answered = async () => {
      for (let waited = 0; (calls?.pending ?? 0) > 0 && waited < 500; waited += 10) await new Promise((r) => setTimeout(r, 10));
    };
    Promise.all([answered(), scheduler ? scheduler.stop(0) : Promise.resolve()])
      .finally(() => Promise.allSettled([app.close(), server.close()]))
      .finally(() => process.exit(0));
  };
  process.stdin.on('end', () => stop('stdin ended'));
  process.stdin.on('close', () => stop('stdin closed'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  process.on('uncaughtException', (err) => app.logger.error('uncaught exception', { error: err }));
  process.on('unhandledRejection', (err) => app.logger.error('unhandled rejection', { error: err }));
  process.stdout.on('error', () => stop('stdout closed'));
  await server.connect(transport);
  app.logger.info('monitors-mcp ready on stdio', { mode: app.config.mode, database: app.config.deployment });
  if (app.config.worker.inServer) {
    // Started a moment after start-up, so answering `initialize` never waits for the database;
    // if the database is down, tried again every 10 s.
    const tryStart = (delayMs: number) => {
      setTimeout(() => {
        if (stopping) return;
        app
          .scheduler('server')
          .then((s) => {
            if (stopping) return;
            scheduler = s;
            s.start();
          })
          .catch((err) => {
            app.logger.warn('scheduler not started yet; trying again in 10 s', { reason: describeError(app, 'scheduler', err) });
            tryStart(10_000);
          });
      }, delayMs).unref();
    };
    tryStart(1500);
  }
}
