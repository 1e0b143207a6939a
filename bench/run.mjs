// `npm run bench`: every benchmark in turn (build first: `npm run build`).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

for (const script of ['cold-start.mjs', 'whoami.mjs', 'monitors.mjs']) {
  const r = spawnSync(process.execPath, [join(import.meta.dirname, script)], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  console.log('');
}
