import { z } from "zod";
import type { Env } from "./env";
import { ACTIVITY_TYPE_NAMES, ACTIVITY_TYPES, type ActivityType } from "./feed/activity-types";
import { RetentionDaysSchema } from "./schemas/common";
import { MAX_SHARDS } from "./shards/ids";

/**
 * Configuration is parsed once per isolate, at the edge of the program; the
 * rest of the code receives typed values. A bad value fails loudly with the
 * variable's name instead of misbehaving later.
 */

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(["", "true", "1", "false", "0", "yes", "no"]))
  .transform((value) => value === "true" || value === "1" || value === "yes");

const retentionOverrides = z
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be a JSON object of activity_type to days" });
      return z.NEVER;
    }
  })
  .pipe(z.partialRecord(z.enum(ACTIVITY_TYPE_NAMES), RetentionDaysSchema));

const configSchema = z.object({
  ENVIRONMENT: z.enum(["development", "test", "staging", "production"]).default("production"),
  JWT_SECRET: z
    .string({ error: "is required (wrangler secret put JWT_SECRET)" })
    .min(16, "must be at least 16 characters"),
  SHARD_COUNT: z.coerce.number().int().min(1).max(MAX_SHARDS).default(1),
  CORS_ALLOWED_ORIGINS: z.string().default(""),
  USE_ASYNC_ACTIVITY_FEED: flag.default(false),
  RETENTION_POLICY: retentionOverrides.optional(),
  UNREAD_CACHE_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(3_600),
  ARCHIVE_ON_CLEANUP: flag.default(true),
  INBOX_DEMO_PAGE: flag.optional(),
  ROUTING_CACHE_SECONDS: z.coerce.number().int().min(1).max(300).default(30),
});

export type RetentionPolicy = Readonly<Record<ActivityType, number>>;

export interface Config {
  readonly environment: "development" | "test" | "staging" | "production";
  readonly jwtSecret: string;
  /**
   * The shard count the deployment was created with: the current count until
   * a reshard stores another (src/shards/routing.ts), and for good the hash
   * space of Idempotency-Key records.
   */
  readonly shardCount: number;
  /** Shard bindings declared (SHARD_0 … SHARD_{n-1}): how far a reshard may grow. */
  readonly boundShards: number;
  /** How long an isolate may route by a routing row it read: the bound on a stale view. */
  readonly routingCacheMs: number;
  readonly corsAllowedOrigins: readonly string[];
  readonly asyncIngestion: boolean;
  readonly retentionPolicy: RetentionPolicy;
  readonly unreadCacheTtlSeconds: number;
  /** Whether retention cleanup writes rows to R2 before deleting them. */
  readonly archiveOnCleanup: boolean;
  /** Whether /inbox/, the demo page of the embeddable inbox, is served (README "Embed the inbox"). */
  readonly inboxDemoPage: boolean;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function defaultRetentionPolicy(): RetentionPolicy {
  return Object.fromEntries(
    ACTIVITY_TYPE_NAMES.map((type) => [type, ACTIVITY_TYPES[type].retentionDays]),
  ) as RetentionPolicy;
}

function parseConfig(env: Env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "config"} ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  const vars = parsed.data;
  const origins = vars.CORS_ALLOWED_ORIGINS.split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
  const isLocal = vars.ENVIRONMENT === "development" || vars.ENVIRONMENT === "test";
  if (origins.includes("*") && !isLocal) {
    throw new ConfigError('Invalid configuration: CORS_ALLOWED_ORIGINS "*" is only allowed in development');
  }
  for (let index = 0; index < vars.SHARD_COUNT; index++) {
    if (!env[`SHARD_${index}`]) {
      throw new ConfigError(
        `Invalid configuration: SHARD_COUNT is ${vars.SHARD_COUNT} but binding SHARD_${index} is missing`,
      );
    }
  }
  let boundShards = vars.SHARD_COUNT;
  while (boundShards < MAX_SHARDS && env[`SHARD_${boundShards}`]) boundShards += 1;
  return {
    environment: vars.ENVIRONMENT,
    jwtSecret: vars.JWT_SECRET,
    shardCount: vars.SHARD_COUNT,
    boundShards,
    routingCacheMs: vars.ROUTING_CACHE_SECONDS * 1000,
    corsAllowedOrigins: origins,
    asyncIngestion: vars.USE_ASYNC_ACTIVITY_FEED,
    retentionPolicy: { ...defaultRetentionPolicy(), ...(vars.RETENTION_POLICY ?? {}) },
    unreadCacheTtlSeconds: vars.UNREAD_CACHE_TTL_SECONDS,
    archiveOnCleanup: vars.ARCHIVE_ON_CLEANUP,
    // On where development happens; a deployment turns it on by name.
    inboxDemoPage: vars.INBOX_DEMO_PAGE ?? isLocal,
  };
}

const cache = new WeakMap<Env, Config>();

/** The validated configuration for this environment, parsed on first use. */
export function configFor(env: Env): Config {
  let config = cache.get(env);
  if (!config) {
    config = parseConfig(env);
    cache.set(env, config);
  }
  return config;
}
