// Cold start: time from spawn to the `initialize` reply, median of N runs,
// beside `node -e ''` (the floor) and @modelcontextprotocol/server-memory,
// measured in the same run, interleaved so machine noise hits all alike.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { fmt, initializeParams, median, serverEntry, tempHome } from './lib.mjs';

const runs = Number(process.env.RUNS ?? 15);
const require = createRequire(import.meta.url);
const memoryEntry = require.resolve('@modelcontextprotocol/server-memory/dist/index.js');
const home = tempHome();

function timeToInitialize(args, env) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: initializeParams })}\n`);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) {
        const elapsed = performance.now() - start;
        if (!out.includes('"result"')) reject(new Error(`no initialize result: ${out}`));
        child.kill('SIGTERM');
        child.once('exit', () => resolve(elapsed));
      }
    });
    child.once('error', reject);
  });
}

function timeToExit(args) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    child.once('exit', () => resolve(performance.now() - start));
    child.once('error', reject);
  });
}

const subjects = {
  "node -e ''": () => timeToExit(['-e', '']),
  'server-memory': () => timeToInitialize([memoryEntry], { MEMORY_FILE_PATH: `${home}/memory.jsonl` }),
  'monitors-mcp (embedded default)': () => timeToInitialize([serverEntry], { MONITORS_MCP_HOME: home }),
};
const samples = Object.fromEntries(Object.keys(subjects).map((k) => [k, []]));
for (const fn of Object.values(subjects)) await fn(); // warm the file cache
for (let i = 0; i < runs; i++) {
  for (const [name, fn] of Object.entries(subjects)) samples[name].push(await fn());
}
const med = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
console.log(`Cold start, spawn to initialize reply, median of ${runs} runs (node ${process.version}):`);
for (const [name, m] of Object.entries(med)) console.log(`  ${name.padEnd(34)} ${fmt(m)}`);
const ours = med['monitors-mcp (embedded default)'];
console.log(`  server-memory / monitors-mcp        ${(med['server-memory'] / ours).toFixed(2)}x (target >= 1.5x)`);
console.log(
  `  above the node floor: monitors-mcp ${fmt(ours - med["node -e ''"])}, server-memory ${fmt(med['server-memory'] - med["node -e ''"])}`,
);
