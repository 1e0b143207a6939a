// Every tool the server offers, in the order clients list them.
import type { ToolDefinition } from '../define-tool.js';
import { authTools } from './auth.js';

export const allTools: ToolDefinition[] = [...authTools];
