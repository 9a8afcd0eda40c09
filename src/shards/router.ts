import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import { configFor } from "../config";
import { schema } from "../db/schema";
import type { Env } from "../env";
import { meteredD1 } from "./d1-meter";
import { fromPublicId } from "./ids";
import { jumpConsistentHash, shardIndexForUser } from "./jump-hash";

/**
 * The one place that knows how users and item ids map to D1 databases. Later
 * work (read replicas through the Sessions API, resharding) changes this file.
 */
export interface Shard {
  readonly index: number;
  readonly d1: D1Database;
  readonly db: DrizzleD1Database<typeof schema>;
}

export class ShardRouter {
  private readonly shards: readonly Shard[];

  constructor(env: Env) {
    const { shardCount } = configFor(env);
    this.shards = Array.from({ length: shardCount }, (_, index) => {
      const binding = env[`SHARD_${index}`];
      if (!binding) throw new Error(`binding SHARD_${index} is missing`);
      const d1 = meteredD1(binding, env);
      return { index, d1, db: drizzle(d1, { schema }) };
    });
  }

  get count(): number {
    return this.shards.length;
  }

  all(): readonly Shard[] {
    return this.shards;
  }

  byIndex(index: number): Shard | undefined {
    return this.shards[index];
  }

  /** The shard holding every row of this user. */
  forUser(userId: number): Shard {
    return this.shards[shardIndexForUser(userId, this.shards.length)]!;
  }

  /** The shard that keeps the record of something named by a 64-bit hash (e.g. an Idempotency-Key). */
  forHash(hash: bigint): Shard {
    return this.shards[jumpConsistentHash(hash, this.shards.length)]!;
  }

  /** The shard an item id says it lives on, if that shard exists. */
  forItemId(publicId: number): Shard | undefined {
    const ref = fromPublicId(publicId);
    return ref ? this.shards[ref.shardIndex] : undefined;
  }

  /** Groups values by the shard of the user they belong to. */
  groupByUser<T>(values: readonly T[], userIdOf: (value: T) => number): Map<Shard, T[]> {
    const groups = new Map<Shard, T[]>();
    for (const value of values) {
      const shard = this.forUser(userIdOf(value));
      const group = groups.get(shard);
      if (group) group.push(value);
      else groups.set(shard, [value]);
    }
    return groups;
  }
}

const routers = new WeakMap<Env, ShardRouter>();

export function shardsOf(env: Env): ShardRouter {
  let router = routers.get(env);
  if (!router) {
    router = new ShardRouter(env);
    routers.set(env, router);
  }
  return router;
}
