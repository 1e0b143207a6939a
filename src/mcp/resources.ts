// Resources, for clients that browse rather than call tools: each monitor as
// monitor://{id} (with its recent results) and the open alerts as alerts://open.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { App, Services } from '../app.js';
import { NotFound, NotSignedIn } from '../errors.js';
import type { Owner } from '../monitors/service.js';
import { describeError } from './define-tool.js';

/** MCP's code for a resource that does not exist. */
const RESOURCE_NOT_FOUND = -32002;

function rpcError(code: number, message: string): Error {
  return Object.assign(new Error(message), { code });
}

async function signedIn(app: App): Promise<Owner | undefined> {
  try {
    const { session } = await app.currentSession();
    return { userId: session.userId, tier: session.tier };
  } catch (err) {
    if (err instanceof NotSignedIn) return undefined;
    throw err;
  }
}

export function registerResources(server: Server, app: App): void {
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: [
      {
        uriTemplate: 'monitor://{id}',
        name: 'monitor',
        title: 'A monitor',
        description: 'One of your monitors with its settings, state and 20 most recent results.',
        mimeType: 'application/json',
      },
    ],
  }));

  server.setRequestHandler(ListResourcesRequestSchema, async () => {
    let owner: Owner | undefined;
    let page: Awaited<ReturnType<Services['monitors']['list']>>;
    try {
      owner = await signedIn(app);
      if (!owner) return { resources: [] };
      page = await (await app.services()).monitors.list(owner, { limit: 100 });
    } catch (err) {
      throw rpcError(ErrorCode.InternalError, describeError(app, 'resources/list', err));
    }
    return {
      resources: [
        {
          uri: 'alerts://open',
          name: 'open-alerts',
          title: 'Open alerts',
          description: 'Alerts firing or acknowledged, newest first.',
          mimeType: 'application/json',
        },
        ...page.items.map((m) => ({
          uri: `monitor://${m.id}`,
          name: m.name,
          title: `${m.name} (${m.status})`,
          description: `${m.type} monitor of ${m.target.slice(0, 200)}`,
          mimeType: 'application/json',
        })),
      ],
    };
  });

  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const uri = request.params.uri;
    const owner = await signedIn(app).catch((err) => {
      throw rpcError(ErrorCode.InternalError, describeError(app, 'resources/read', err));
    });
    if (!owner) throw rpcError(ErrorCode.InvalidRequest, new NotSignedIn().message);
    try {
      const { monitors, alerts } = await app.services();
      let body: unknown;
      if (uri === 'alerts://open') {
        body = { alerts: (await alerts.list(owner, { state: 'open', limit: 100 })).items };
      } else {
        const m = /^monitor:\/\/([A-Za-z0-9_-]{1,64})$/.exec(uri);
        if (!m) throw new NotFound(`No resource at ${uri.slice(0, 100)}: use monitor://{id} or alerts://open.`);
        body = { monitor: await monitors.get(owner, m[1]!, 20) };
      }
      return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(body) }] };
    } catch (err) {
      if (err instanceof NotFound) throw rpcError(RESOURCE_NOT_FOUND, err.message);
      throw rpcError(ErrorCode.InternalError, describeError(app, 'resources/read', err));
    }
  });
}
