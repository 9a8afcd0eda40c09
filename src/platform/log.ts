/**
 * The one logger: one JSON object per line, which Workers Logs and `wrangler
 * tail` index by field. Context (a request id, a job id) is bound once with
 * `child` and repeated on every line it writes.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `context` to every line. */
  child(context: LogFields): Logger;
}

/** An Error becomes its message and stack; anything else is logged as it is. */
function plain(value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
}

function createLogger(context: LogFields): Logger {
  const write = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    const line: Record<string, unknown> = { level, msg, ...context };
    for (const [key, value] of Object.entries(fields)) line[key] = plain(value);
    console[level](JSON.stringify(line));
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    child: (more) => createLogger({ ...context, ...more }),
  };
}

export const log: Logger = createLogger({});
