// The shapes of alert rule conditions and channels, shared by the tools and the
// rule service (kept apart from the service so the MCP face loads no database code).
import { z } from 'zod';

export const CONDITION_TYPES = ['down', 'latencyAbove', 'valueAbove', 'valueBelow', 'certExpiresWithin'] as const;
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export const ALERT_STATES = ['firing', 'acknowledged', 'resolved'] as const;

export const ConditionSchema = z
  .strictObject({
    type: z
      .enum(CONDITION_TYPES)
      .describe('down, latencyAbove (needs ms), valueAbove / valueBelow (need value), certExpiresWithin (needs days).'),
    ms: z.number().int().min(1).max(600_000).optional().describe('latencyAbove: the latency in milliseconds.'),
    value: z.number().optional().describe("valueAbove / valueBelow: the threshold for the monitor's extracted value."),
    days: z.number().int().min(1).max(3650).optional().describe('certExpiresWithin: days before the certificate expires.'),
  })
  .describe('When the rule matches a result, e.g. {"type": "latencyAbove", "ms": 2000}.');
export type Condition = z.infer<typeof ConditionSchema>;

export const ChannelSchema = z
  .strictObject({
    type: z.enum(['email', 'webhook']).describe('email (to your sign-in address) or webhook (a JSON POST).'),
    url: z.string().max(2048).optional().describe('webhook: the http(s) URL to POST to.'),
  })
  .describe('Where notifications go, e.g. {"type": "email"} or {"type": "webhook", "url": "https://hooks.example.com/x"}.');
export type Channel = z.infer<typeof ChannelSchema>;
