// Bundles src/ into dist/ with esbuild. Start-up time is mostly module
// loading, so the MCP SDK and zod are bundled, and every command or driver
// that only some runs need is a separate chunk loaded on first use.
import { chmodSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'src', 'index.ts'))) process.exit(0);

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // A production install (npm ci --omit=dev) has no esbuild: dist/ must come from the package.
  if (existsSync(join(root, 'dist', 'index.js'))) process.exit(0);
  console.error('esbuild is not installed: run `npm ci` (with dev dependencies) to build monitors-mcp.');
  process.exit(1);
}

await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['src/index.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  chunkNames: 'chunks/[name]-[hash]',
  // Native or CommonJS-heavy drivers stay in node_modules and load only when used.
  external: ['better-sqlite3', 'mysql2', 'ioredis', '@sendgrid/mail', '@sendgrid/client', 'jsonwebtoken', 'undici'],
  banner: {
    js: "import { createRequire as __monitorsCreateRequire } from 'node:module'; const require = __monitorsCreateRequire(import.meta.url);",
  },
});
chmodSync(join(root, 'dist', 'index.js'), 0o755);
