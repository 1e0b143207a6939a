import { defineCommand, fail, out } from './run.js';

export default defineCommand({
  name: 'users',
  summary: 'list users (id, email, tier) for an operator.',
  usage: `Usage: monitors-mcp users [--limit N] [--json]

Options:
  --limit N   at most N users, by email (default 100, at most 10000)
  --json      one JSON object per line`,
  options: { limit: { type: 'string' }, json: { type: 'boolean' } },
  async run({ app, values }) {
    const raw = typeof values.limit === 'string' ? values.limit : '100';
    if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 10_000) {
      fail(`--limit must be a whole number from 1 to 10000, got "${raw.slice(0, 20)}".`, 2);
    }
    const { users } = await app.services();
    const rows = await users.list(Number(raw));
    if (values.json) {
      for (const u of rows)
        out(JSON.stringify({ id: u.id, email: u.email, tier: u.tier, createdAt: new Date(Number(u.created_at)).toISOString() }));
      return;
    }
    if (rows.length === 0) {
      out('No users yet.');
      return;
    }
    out(`${'id'.padEnd(24)}${'tier'.padEnd(8)}email`);
    for (const u of rows) out(`${u.id.padEnd(24)}${u.tier.padEnd(8)}${u.email}`);
  },
});
