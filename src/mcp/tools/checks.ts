// run_check: run a saved monitor now, or try a definition before creating it.
import { z } from 'zod';
import { InvalidInput } from '../../errors.js';
import { allOptional, monitorFields, settingsFields } from '../../monitors/definition.js';
import { defineTool } from '../define-tool.js';
import { owner } from './monitors.js';

const CheckResultSchema = z
  .object({
    status: z.enum(['up', 'down']).describe('up if every expectation held.'),
    latencyMs: z.number().describe('How long the check took.'),
    statusCode: z.number().nullable().describe('http: the final response status.'),
    value: z.number().nullable().describe('The extracted value (jsonPath, or certificate days left for tls).'),
    error: z.string().nullable().describe('Why it is down, in a sentence (secret values are never shown).'),
    checkedAt: z.string().describe('When it ran (ISO 8601).'),
  })
  .describe('The outcome of one check.');

export const runCheckTool = defineTool({
  name: 'run_check',
  title: 'Run a check now',
  description:
    'Run a check right away. Give id to check a saved monitor now (the result is stored in its history), or give ' +
    'a definition (type, target and settings, as for create_monitor) to try it before creating the monitor (nothing ' +
    'is stored). Example: {"id": "q3J9x0sKQ0aV7m1wZb2L4g"} or {"type": "http", "target": "https://example.com/health", ' +
    '"keyword": "ok"}.',
  input: z.strictObject({
    id: z.string().max(64, 'is not a monitor id').optional().describe('A saved monitor to check now.'),
    name: monitorFields.name.optional(),
    type: monitorFields.type.optional(),
    target: monitorFields.target.optional(),
    timeoutMs: monitorFields.timeoutMs.optional(),
    ...allOptional(settingsFields),
  }),
  output: z.object({
    result: CheckResultSchema,
    monitorId: z.string().optional().describe('The saved monitor that was checked, if any.'),
    stored: z.boolean().describe("Whether the result was stored in the monitor's history."),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handler({ id, ...definition }, ctx) {
    const { checks } = await ctx.app.services();
    const given = Object.keys(definition).filter((k) => (definition as Record<string, unknown>)[k] !== undefined);
    if (id !== undefined && given.length > 0) {
      throw new InvalidInput(
        `Give either id (a saved monitor) or a definition, not both (you also gave ${given.slice(0, 3).join(', ')}).`,
      );
    }
    if (id === undefined && given.length === 0) {
      throw new InvalidInput('Give id to check a saved monitor, or type and target to try a definition.');
    }
    await ctx.progress(0, 1, id ? 'Checking the monitor' : 'Checking the definition');
    const result = id
      ? await checks.runSaved(owner(ctx), id, ctx.signal)
      : await checks.runUnsaved(owner(ctx), definition, ctx.signal);
    await ctx.progress(1, 1, `Done: ${result.status}`);
    return {
      result: { ...result, checkedAt: new Date(result.checkedAt).toISOString() },
      ...(id ? { monitorId: id } : {}),
      stored: id !== undefined && !ctx.signal.aborted,
    };
  },
});

export const checkTools = [runCheckTool];
