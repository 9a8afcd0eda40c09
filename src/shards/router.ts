import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import { configFor } from "../config";
import { schema } from "../db/schema";
import type { Env } from "../env";
import { meteredD1 } from "./d1-meter";
import { jumpConsistentHash, shardIndexForUser } from "./jump-hash";
import { currentRouting, type Reshard, type Routing } from "./routing";

/**
 * The one place that knows how users and item ids map to D1 databases, by
 * the deployment's routing (src/shards/routing.ts).
 */
export interface Shard {
  readonly index: number;
  readonly d1: D1Database;
  readonly db: DrizzleD1Database<typeof schema>;
}

export class ShardRouter {
  constructor(
    /** Every bound shard, SHARD_0 … SHARD_{n-1}. */
    private readonly bound: readonly Shard[],
    readonly routing: Routing,
    /** The deployment's first shard count: where users began, and for good the hash space of Idempotency-Key records. */
    private readonly initialCount: number,
  ) {}

  /** Shards users are hashed over now. */
  get count(): number {
    return this.routing.shardCount;
  }

  /** The reshard under way, if any. */
  get reshard(): Reshard | null {
    return this.routing.reshard;
  }

  /** Every shard that holds data: the current ones, and during a reshard the new ones too. */
  all(): readonly Shard[] {
    return this.bound.slice(0, Math.max(this.count, this.reshard?.to ?? 0));
  }

  byIndex(index: number): Shard | undefined {
    return this.all()[index];
  }

  /** The shard holding every row of this user. */
  async forUser(userId: number): Promise<Shard> {
    return this.bound[shardIndexForUser(userId, this.count)]!;
  }

  /** The shard the user lived on when the deployment began. */
  firstShardOf(userId: number): number {
    return shardIndexForUser(userId, this.initialCount);
  }

  /**
   * Shards the user may have lived on before `current` (at every count from
   * the deployment's first to this routing's highest): where the ids of their
   * moved items were made. None for a user no reshard moved.
   */
  formerShardsOf(userId: number, current: Shard): number[] {
    const former = new Set<number>();
    const highest = Math.max(this.count, this.reshard?.to ?? 0);
    for (let count = this.initialCount; count <= highest; count++) former.add(shardIndexForUser(userId, count));
    former.delete(current.index);
    return [...former];
  }

  /** The shard that keeps the record of something named by a 64-bit hash (e.g. an Idempotency-Key). */
  forHash(hash: bigint): Shard {
    return this.bound[jumpConsistentHash(hash, this.initialCount)]!;
  }

  /** Groups values by the shard of the user they belong to. */
  async groupByUser<T>(values: readonly T[], userIdOf: (value: T) => number): Promise<Map<Shard, T[]>> {
    const groups = new Map<Shard, T[]>();
    for (const value of values) {
      const shard = await this.forUser(userIdOf(value));
      const group = groups.get(shard);
      if (group) group.push(value);
      else groups.set(shard, [value]);
    }
    return groups;
  }
}

/** Every bound shard of an environment, made once per isolate. */
const boundShards = new WeakMap<Env, readonly Shard[]>();
const routers = new WeakMap<Env, ShardRouter>();

function shardsBoundIn(env: Env): readonly Shard[] {
  let shards = boundShards.get(env);
  if (!shards) {
    shards = Array.from({ length: configFor(env).boundShards }, (_, index) => {
      const d1 = meteredD1(env[`SHARD_${index}`]!, env);
      return { index, d1, db: drizzle(d1, { schema }) };
    });
    boundShards.set(env, shards);
  }
  return shards;
}

/** The router for the deployment's current routing (a view at most ROUTING_CACHE_SECONDS old). */
export async function shardsOf(env: Env): Promise<ShardRouter> {
  const routing = await currentRouting(env);
  const cached = routers.get(env);
  if (cached?.routing === routing) return cached;
  const router = new ShardRouter(shardsBoundIn(env), routing, configFor(env).shardCount);
  routers.set(env, router);
  return router;
}
