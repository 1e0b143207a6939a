// Secret tools: values go in and never come out.
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { fitPage, nextCursorField, pageFields } from '../lists.js';
import { owner } from './monitors.js';

const Name = z
  .string()
  .max(64, 'must be at most 64 characters')
  .describe('The secret name: letters, digits and underscores, e.g. "API_TOKEN".');

const SecretSchema = z
  .object({
    name: z.string().describe('The secret name.'),
    createdAt: z.string().describe('When it was first stored (ISO 8601).'),
    updatedAt: z.string().describe('When its value was last set (ISO 8601).'),
  })
  .describe('A stored secret: its name and dates, never its value.');

export const setSecret = defineTool({
  name: 'set_secret',
  title: 'Store a secret',
  description:
    'Store an API key, token or password, encrypted, for monitors to use as {{secrets.NAME}} in a URL, header or ' +
    'body. Setting an existing name replaces its value. The value can never be read back by any tool. ' +
    'Example: {"name": "API_TOKEN", "value": "sk_live_..."}.',
  input: z.strictObject({
    name: Name,
    value: z
      .string()
      .max(8192, 'must be at most 8192 bytes')
      .describe('The secret value (at most 8 KB). It is never shown again.'),
  }),
  output: z.object({ secret: SecretSchema }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler({ name, value }, ctx) {
    const { secrets } = await ctx.app.services();
    return { secret: await secrets.set(owner(ctx), name, value) };
  },
});

export const listSecrets = defineTool({
  name: 'list_secrets',
  title: 'List secrets',
  description: 'List the names of your stored secrets with their dates (values are never shown). Example: {"limit": 50}.',
  input: z.strictObject({ ...pageFields }),
  output: z.object({ secrets: z.array(SecretSchema).describe('This page of secrets.'), nextCursor: nextCursorField }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler({ limit, cursor }, ctx) {
    const { secrets } = await ctx.app.services();
    const page = fitPage(await secrets.list(owner(ctx), limit ?? 50, cursor));
    return { secrets: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  },
});

export const deleteSecret = defineTool({
  name: 'delete_secret',
  title: 'Delete a secret',
  description:
    'Delete a stored secret for good. Refused while a monitor still uses it; change or delete those monitors first. ' +
    'Example: {"name": "API_TOKEN"}.',
  input: z.strictObject({ name: Name }),
  output: z.object({
    deleted: z.boolean().describe('True once deleted.'),
    name: z.string().describe('The name that was deleted.'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async handler({ name }, ctx) {
    const { secrets } = await ctx.app.services();
    await secrets.remove(owner(ctx), name);
    return { deleted: true, name };
  },
});

export const secretTools = [setSecret, listSecrets, deleteSecret];
