import { serveStdio } from '../mcp/server.js';
import { defineCommand } from './run.js';

export default defineCommand({
  name: 'serve',
  summary: 'run the stdio MCP server (what an MCP client starts).',
  usage: `Usage: monitors-mcp [serve]

Speaks MCP on stdin/stdout; logs go to stderr. It exits when stdin ends or on
SIGTERM. Configure it with environment variables or .env files (see README.md).`,
  options: {},
  async run({ app }) {
    await serveStdio(app);
  },
});
