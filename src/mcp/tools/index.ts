// Every tool the server offers, in the order clients list them.
import type { ToolDefinition } from '../define-tool.js';
import { alertTools } from './alerts.js';
import { authTools } from './auth.js';
import { checkTools } from './checks.js';
import { monitorTools } from './monitors.js';
import { secretTools } from './secrets.js';

export const allTools: ToolDefinition[] = [...authTools, ...monitorTools, ...checkTools, ...secretTools, ...alertTools];
