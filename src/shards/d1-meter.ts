import { AsyncLocalStorage } from "node:async_hooks";
import { createMiddleware } from "hono/factory";

/**
 * What D1 bills, measured from D1's own `meta`: the benchmark's opt-in meter
 * (`D1_METER=true`; bench/README.md says how it is read). Off, nothing here
 * runs: the router hands out the bindings as they are and the middleware
 * returns at once.
 *
 * A metered request's D1 work (found through its async context) is sent as
 * `X-D1-*` headers. D1 work outside any request (queue consumer, cron) is
 * summed per isolate and sent as `X-D1-Background-*` on every metered
 * response, so that a job's cost is the difference between two responses.
 *
 * `first()` and `raw()` return no `meta`, so a metered statement reads its
 * rows through `all()` and a one-statement `batch()` and maps them the way
 * drizzle maps batch results (column order of the row objects). `exec()` and
 * `raw({ columnNames: true })` run as they are and count as unmetered.
 */

export interface D1Usage {
  /** Statements run. */
  queries: number;
  /** Calls that went to D1: a batch of any size is one. */
  roundTrips: number;
  rowsRead: number;
  rowsWritten: number;
  /** Statements whose rows D1 did not report. */
  unmetered: number;
}

interface RequestUsage extends D1Usage {
  /** Set once the response has its headers: later work counts as background. */
  done?: boolean;
}

const emptyUsage = (): RequestUsage => ({ queries: 0, roundTrips: 0, rowsRead: 0, rowsWritten: 0, unmetered: 0 });

const background = emptyUsage();
let requests: AsyncLocalStorage<RequestUsage> | undefined;

/** The bench-only switch; read from the environment like `wrangler.toml`'s vars, never set in production. */
export const d1MeterEnabled = (env: object): boolean => (env as { D1_METER?: string }).D1_METER === "true";

function record(results: readonly (D1Result | D1Response)[], roundTrips: number, unmetered = 0): void {
  const request = requests?.getStore();
  const usage = request && !request.done ? request : background;
  usage.roundTrips += roundTrips;
  usage.queries += results.length + unmetered;
  usage.unmetered += unmetered;
  for (const { meta } of results) {
    usage.rowsRead += meta.rows_read;
    usage.rowsWritten += meta.rows_written;
  }
}

/** Row objects to arrays, as drizzle's d1 driver maps batch results. */
const toArrays = (rows: readonly Record<string, unknown>[]): unknown[][] =>
  rows.map((row) => Object.keys(row).map((key) => row[key]));

/** Where a statement's `raw()` runs as a batch: its database or session. */
type BatchRunner = Pick<D1Database, "batch">;

class MeteredStatement implements D1PreparedStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    private readonly runner: BatchRunner,
  ) {}

  bind(...values: unknown[]): D1PreparedStatement {
    return new MeteredStatement(this.inner.bind(...values), this.runner);
  }

  async run<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    const result = await this.inner.run<T>();
    record([result], 1);
    return result;
  }

  async all<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    const result = await this.inner.all<T>();
    record([result], 1);
    return result;
  }

  first<T = unknown>(column: string): Promise<T | null>;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  async first<T>(column?: string): Promise<T | null> {
    const [row] = (await this.all<Record<string, unknown>>()).results;
    if (row === undefined) return null;
    if (column === undefined) return row as T;
    if (!(column in row)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`);
    return row[column] as T;
  }

  raw<T = unknown[]>(options: { columnNames: true }): Promise<[string[], ...T[]]>;
  raw<T = unknown[]>(options?: { columnNames?: false }): Promise<T[]>;
  async raw<T>(options?: { columnNames?: boolean }): Promise<T[] | [string[], ...T[]]> {
    if (options?.columnNames) {
      const rows = await this.inner.raw<T>({ columnNames: true });
      record([], 1, 1);
      return rows;
    }
    const [result] = await this.runner.batch<Record<string, unknown>>([this.inner]);
    record([result!], 1);
    return toArrays(result!.results) as T[];
  }
}

const unwrap = (statement: D1PreparedStatement) =>
  statement instanceof MeteredStatement ? statement.inner : statement;

/** prepare() and batch(), metered, of a database or one of its sessions. */
class MeteredRunner<Runner extends D1Database | D1DatabaseSession> {
  constructor(protected readonly runner: Runner) {}

  prepare(query: string): D1PreparedStatement {
    return new MeteredStatement(this.runner.prepare(query), this.runner);
  }

  async batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    const results = await this.runner.batch<T>(statements.map(unwrap));
    record(results, 1);
    return results;
  }
}

class MeteredSession extends MeteredRunner<D1DatabaseSession> implements D1DatabaseSession {
  getBookmark(): D1SessionBookmark | null {
    return this.runner.getBookmark();
  }
}

class MeteredDatabase extends MeteredRunner<D1Database> implements D1Database {
  async exec(query: string): Promise<D1ExecResult> {
    const result = await this.runner.exec(query);
    record([], 1, result.count);
    return result;
  }

  withSession(constraintOrBookmark?: D1SessionBookmark | D1SessionConstraint): D1DatabaseSession {
    return new MeteredSession(this.runner.withSession(constraintOrBookmark));
  }

  dump(): Promise<ArrayBuffer> {
    return this.runner.dump();
  }
}

/** A shard binding as the router hands it out: the binding itself when the meter is off. */
export function meteredD1(d1: D1Database, env: object): D1Database {
  return d1MeterEnabled(env) ? new MeteredDatabase(d1) : d1;
}

const usageHeaders = (prefix: string, usage: D1Usage): [string, number][] => [
  [`${prefix}-Queries`, usage.queries],
  [`${prefix}-Round-Trips`, usage.roundTrips],
  [`${prefix}-Rows-Read`, usage.rowsRead],
  [`${prefix}-Rows-Written`, usage.rowsWritten],
  [`${prefix}-Unmetered`, usage.unmetered],
];

/** Counts the D1 work of each request and reports it, with the background totals, in the response's headers. */
export const meterD1Usage = createMiddleware(async (c, next) => {
  if (!d1MeterEnabled(c.env)) return next();
  requests ??= new AsyncLocalStorage<RequestUsage>();
  const usage = emptyUsage();
  await requests.run(usage, next);
  usage.done = true;
  const headers = [...usageHeaders("X-D1", usage), ...usageHeaders("X-D1-Background", background)];
  // c.header copies a finished response each time it is called: once, then the copy takes the rest.
  c.header("X-D1-Meter", "on");
  for (const [name, value] of headers) c.res.headers.set(name, String(value));
});
