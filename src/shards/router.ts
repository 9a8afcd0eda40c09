import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import { configFor } from "../config";
import { schema } from "../db/schema";
import { isUserMovingError, readUserMoves, writeFenceStatement } from "../db/user-moves";
import type { Env } from "../env";
import { UserMovingError } from "../errors";
import { meteredD1 } from "./d1-meter";
import { readAtLeast, sessionAwareD1 } from "./d1-sessions";
import { jumpConsistentHash, shardIndexForUser } from "./jump-hash";
import { currentRouting, type Reshard, type Routing } from "./routing";

/**
 * The one place that knows how users and item ids map to D1 databases, by
 * the deployment's routing (src/shards/routing.ts). Outside a reshard a user
 * is where the jump hash of the current count puts them, with no lookup.
 * During a reshard, users whose shard differs between the two counts are
 * looked up on their old shard (user_moves, one primary-key read): until
 * their copy is switched they are read there and their writes wait
 * (README, "Adding shards").
 */

/** How long a write for a user being copied waits for the copy to finish before answering 503. */
export const WRITE_WAIT_MS = 1_500;
const WRITE_POLL_MS = 100;
/** Seconds before work for users being moved is tried again (a queued event, a job's hand-on); a move takes a few. */
export const MOVING_RETRY_SECONDS = 5;

/** Where a user's rows are now, and whether a reshard is copying them right now. */
export interface UserPlace {
  readonly shard: Shard;
  readonly copying: boolean;
}
export interface Shard {
  readonly index: number;
  readonly d1: D1Database;
  readonly db: DrizzleD1Database<typeof schema>;
}

export class ShardRouter {
  constructor(
    private readonly env: Env,
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

  /** Where each of these users is: their old shard until a reshard switched them, then the new one. */
  async locate(userIds: readonly number[]): Promise<Map<number, UserPlace>> {
    const places = new Map<number, UserPlace>();
    const lookups = new Map<number, number[]>();
    for (const userId of userIds) {
      const home = shardIndexForUser(userId, this.count);
      if (this.reshard && shardIndexForUser(userId, this.reshard.to) !== home)
        lookups.set(home, [...(lookups.get(home) ?? []), userId]);
      else places.set(userId, { shard: this.bound[home]!, copying: false });
    }
    await Promise.all(
      [...lookups].map(async ([home, users]) => {
        const moves = await readUserMoves(this.bound[home]!.d1, users);
        for (const userId of users) {
          const move = moves.get(userId);
          // A replica of the new shard may not have the copy yet: read it no older than the copy.
          if (move && move.state !== "copying" && move.bookmark) readAtLeast(move.toShard, move.bookmark);
          places.set(
            userId,
            !move || move.state === "copying"
              ? { shard: this.bound[home]!, copying: move !== undefined }
              : { shard: this.bound[shardIndexForUser(userId, this.reshard!.to)]!, copying: false },
          );
        }
      }),
    );
    return places;
  }

  /**
   * Sorts users a job found walking `shard`'s rows. `here`: their rows live
   * on it, write them here. `leaving`: a reshard is copying them off it, or
   * switched them while their old rows wait for deletion; the new shard's
   * walk may have passed them already, so the job hands them on. The rest
   * are arriving: their copy is landing here but they are not switched yet,
   * and their old shard's walk sees them. Outside a reshard, everyone is
   * here (no lookup).
   */
  async sortForWalk(shard: Shard, userIds: readonly number[]): Promise<{ here: number[]; leaving: number[] }> {
    if (!this.reshard || userIds.length === 0) return { here: [...userIds], leaving: [] };
    const places = await this.locate(userIds);
    const sorted = { here: [] as number[], leaving: [] as number[] };
    for (const userId of userIds) {
      const place = places.get(userId)!;
      if (place.shard === shard && !place.copying) sorted.here.push(userId);
      else if (shardIndexForUser(userId, this.count) === shard.index) sorted.leaving.push(userId);
    }
    return sorted;
  }

  /** The shards a user's rows may be on: their shard at the current count, and during a reshard at its target. */
  shardsOfMovingUser(userId: number): number[] {
    const home = shardIndexForUser(userId, this.count);
    const target = this.reshard ? shardIndexForUser(userId, this.reshard.to) : home;
    return target === home ? [home] : [home, target];
  }

  /** The shard holding every row of this user now (the old one while a reshard copies them). */
  async forUser(userId: number): Promise<Shard> {
    return (await this.locate([userId])).get(userId)!.shard;
  }

  /**
   * The shard to write this user's rows to: while a reshard copies them, it
   * waits for the copy (up to WRITE_WAIT_MS), then gives up with
   * UserMovingError (503, nothing written).
   */
  async forUserWrite(userId: number): Promise<Shard> {
    const deadline = Date.now() + WRITE_WAIT_MS;
    for (let router: ShardRouter = this; ; router = await router.refreshed()) {
      const place = (await router.locate([userId])).get(userId)!;
      if (!place.copying) return place.shard;
      if (Date.now() >= deadline) throw new UserMovingError([userId]);
      await new Promise((resolve) => setTimeout(resolve, WRITE_POLL_MS));
    }
  }

  /**
   * What a write batch of these users on `shard` begins with: during a
   * reshard, the fence that aborts it when one of them started moving since
   * they were routed (migrations/0009); nothing otherwise.
   */
  fenceFor(shard: Shard, userIds: readonly number[]): D1PreparedStatement[] {
    return this.reshard && userIds.length > 0 ? [writeFenceStatement(shard.d1, userIds)] : [];
  }

  /** The router for the routing as it is now (a reshard may have moved on while a write waited). */
  refreshed(): Promise<ShardRouter> {
    return shardsOf(this.env);
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

  /** Groups values by the shard of the user they belong to (for reads: copied users on their old shard). */
  async groupByUser<T>(values: readonly T[], userIdOf: (value: T) => number): Promise<Map<Shard, T[]>> {
    const { groups } = await this.groupForWrite(values, userIdOf, true);
    return groups;
  }

  /**
   * Groups values by the shard to write them to, and sets apart those of
   * users a reshard is copying right now (they wait, src/feed/ingest.ts).
   */
  async groupForWrite<T>(
    values: readonly T[],
    userIdOf: (value: T) => number,
    includeCopying = false,
  ): Promise<{ groups: Map<Shard, T[]>; copying: T[] }> {
    const places = await this.locate([...new Set(values.map(userIdOf))]);
    const groups = new Map<Shard, T[]>();
    const copying: T[] = [];
    for (const value of values) {
      const place = places.get(userIdOf(value))!;
      if (place.copying && !includeCopying) {
        copying.push(value);
        continue;
      }
      const group = groups.get(place.shard);
      if (group) group.push(value);
      else groups.set(place.shard, [value]);
    }
    return { groups, copying };
  }
}

/** Every bound shard of an environment, made once per isolate. */
const boundShards = new WeakMap<Env, readonly Shard[]>();
const routers = new WeakMap<Env, ShardRouter>();

function shardsBoundIn(env: Env): readonly Shard[] {
  let shards = boundShards.get(env);
  if (!shards) {
    shards = Array.from({ length: configFor(env).boundShards }, (_, index) => {
      // Inside a request its statements run in the request's D1 session of the shard (README, "Read replicas").
      const d1 = sessionAwareD1(meteredD1(env[`SHARD_${index}`]!, env), index);
      return { index, d1, db: drizzle(d1, { schema }) };
    });
    boundShards.set(env, shards);
  }
  return shards;
}

/**
 * Runs a write of one user's rows on their shard, its batch led by `fence`;
 * while a reshard copies the user it waits (forUserWrite), and when the fence
 * finds them moving it routes again, so the write lands on the shard that
 * keeps it. UserMovingError when the copy outlasts WRITE_WAIT_MS.
 */
export async function writeForUser<T>(
  env: Env,
  userId: number,
  write: (shard: Shard, fence: D1PreparedStatement[]) => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + WRITE_WAIT_MS;
  for (;;) {
    const router = await shardsOf(env);
    const shard = await router.forUserWrite(userId);
    try {
      return await write(shard, router.fenceFor(shard, [userId]));
    } catch (error) {
      if (!isUserMovingError(error)) throw error;
      if (Date.now() >= deadline) throw new UserMovingError([userId]);
    }
    await new Promise((resolve) => setTimeout(resolve, WRITE_POLL_MS));
  }
}

/** The router for the deployment's current routing (a view at most ROUTING_CACHE_SECONDS old). */
export async function shardsOf(env: Env): Promise<ShardRouter> {
  const routing = await currentRouting(env);
  const cached = routers.get(env);
  if (cached?.routing === routing) return cached;
  const router = new ShardRouter(env, shardsBoundIn(env), routing, configFor(env).shardCount);
  routers.set(env, router);
  return router;
}
