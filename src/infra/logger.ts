// Logs are one JSON object per line on stderr: stdout belongs to MCP messages.
// A sink can be added to forward records as MCP log notifications; it sees
// every record and applies its own level.
import type { LogLevel } from '../config.js';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, unknown>;
export type LogSink = (level: Exclude<LogLevel, 'silent'>, msg: string, fields: LogFields) => void;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  isEnabled(level: LogLevel): boolean;
  setLevel(level: LogLevel): void;
  addSink(sink: LogSink): void;
}

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  let threshold = ORDER[level];
  const sinks: LogSink[] = [];
  const log = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields: LogFields = {}) => {
    if (ORDER[lvl] >= threshold) {
      const record = { time: new Date().toISOString(), level: lvl, msg, ...fields };
      try {
        write(`${JSON.stringify(record, errorReplacer)}\n`);
      } catch {
        /* stderr closed: nothing sensible left to do */
      }
    }
    // Sinks filter by their own level (an MCP client's logging/setLevel is not LOG_LEVEL).
    for (const sink of sinks) sink(lvl, msg, fields);
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    isEnabled: (lvl) => ORDER[lvl] >= threshold,
    setLevel: (lvl) => {
      threshold = ORDER[lvl];
    },
    addSink: (sink) => {
      sinks.push(sink);
    },
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, code: (value as { code?: unknown }).code, stack: value.stack };
  }
  return value;
}
