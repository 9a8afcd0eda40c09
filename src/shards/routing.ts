import { configFor } from "../config";
import { type RoutingRow, readRoutingRow } from "../db/routing";
import type { Env } from "../env";

/**
 * The deployment's routing as data (README, "Adding shards"): how many shards
 * are current and, while a reshard runs, how many it grows to. It is stored
 * on SHARD_0 and cached per isolate for at most ROUTING_CACHE_SECONDS, so
 * every isolate routes by a view at most that old; a reshard waits that long
 * after publishing its target before it moves anyone.
 */

export interface Reshard {
  readonly jobId: string;
  readonly to: number;
  /** When users may start moving: every isolate's view includes the reshard by then. */
  readonly movesFrom: number;
}

export interface Routing {
  /** Shards users are hashed over. */
  readonly shardCount: number;
  /** The reshard under way, if any. */
  readonly reshard: Reshard | null;
}

export function routingFrom(row: RoutingRow | null, initialCount: number): Routing {
  if (!row) return { shardCount: initialCount, reshard: null };
  const reshard =
    row.targetCount !== null && row.jobId !== null
      ? { jobId: row.jobId, to: row.targetCount, movesFrom: row.movesFrom ?? row.changedAt }
      : null;
  return { shardCount: row.shardCount, reshard };
}

interface CachedRouting {
  readonly routing: Routing;
  /** When the read started: the view is at least this fresh. */
  readonly readAt: number;
}

const cache = new WeakMap<Env, CachedRouting>();

/**
 * The routing, read at most ROUTING_CACHE_SECONDS ago. Only a finished read
 * is shared: a read in flight belongs to the request that started it, and a
 * request awaiting another's I/O hangs when that one ends first (workerd
 * cancels it), so concurrent misses each read once.
 */
export async function currentRouting(env: Env): Promise<Routing> {
  const config = configFor(env);
  const now = Date.now();
  const cached = cache.get(env);
  if (cached && now - cached.readAt < config.routingCacheMs) return cached.routing;
  const routing = routingFrom(await readRoutingRow(env.SHARD_0!), config.shardCount);
  // A slower read that started earlier never replaces a fresher one.
  if ((cache.get(env)?.readAt ?? -1) < now) cache.set(env, { routing, readAt: now });
  return routing;
}

/** Drops this isolate's cached view, after it changed the routing itself. */
export function forgetRouting(env: Env): void {
  cache.delete(env);
}
