import { defineCommand, out } from './run.js';

export default defineCommand({
  name: 'worker',
  summary: 'run the scheduler only: checks and results, no MCP.',
  usage: `Usage: monitors-mcp worker

Runs due checks until SIGTERM or SIGINT. Any number of workers and stdio
servers can share one database: each check is claimed with a lease, so it runs
once per interval. On SIGTERM running checks get up to 10 s to finish; the rest
are released for another process. Settings: WORKER_CONCURRENCY (checks at
once, default 64), WORKER_POLL_MS (default 1000), RESULTS_RETENTION_DAYS
(default 30), ALLOW_PRIVATE_TARGETS.`,
  options: {},
  async run({ app }) {
    const scheduler = await app.scheduler('worker');
    scheduler.start();
    out(`Worker ${scheduler.owner} running on ${app.config.deployment} (${app.config.worker.concurrency} checks at once).`);
    await new Promise<void>((resolve) => {
      // Kept referenced: the scheduler's timers are unref'd and SQLite holds no socket, so without
      // this the process would exit as soon as it started.
      const report = setInterval(() => app.logger.info('worker', { ...scheduler.stats() }), 60_000);
      const stop = (signal: string) => {
        clearInterval(report);
        app.logger.info('worker stopping', { signal, ...scheduler.stats() });
        scheduler.stop(10_000).finally(resolve);
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    out(`Worker stopped after ${scheduler.checksRun} checks.`);
  },
});
