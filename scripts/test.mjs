// `npm test`: lint and format check, type check, build (the end-to-end tests
// run the built server), then every test with vitest. Under CI=true a missing
// MySQL or Redis fails the run instead of skipping that suite.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const steps = [
  ['lint + format (biome)', ['npx', 'biome', 'check', 'src', 'test', 'bench', 'scripts', 'migrations']],
  ['type check (tsc)', ['npx', 'tsc', '--noEmit']],
  ['build (esbuild)', ['node', 'scripts/build.mjs']],
  ['tests (vitest)', ['npx', 'vitest', 'run', ...process.argv.slice(2)]],
];
for (const [name, cmd] of steps) {
  process.stderr.write(`\n== ${name}\n`);
  const r = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`\nnpm test: ${name} failed.\n`);
    process.exit(r.status ?? 1);
  }
}
const skipped = '.tmp/skipped-suites.txt';
if (existsSync(skipped))
  process.stderr.write(`\n*** ${readFileSync(skipped, 'utf8').trim()}\n*** Only the embedded (SQLite) suite ran.\n`);
