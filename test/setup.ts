import { applyD1Migrations, env } from "cloudflare:test";

// Every shard gets the same schema, as `npm run dev` does for the local shards.
const shardCount = Number(env.SHARD_COUNT);
for (let index = 0; index < shardCount; index++) {
  const shard = env[`SHARD_${index}`];
  if (!shard) throw new Error(`SHARD_${index} is not bound`);
  await applyD1Migrations(shard, env.TEST_MIGRATIONS);
}
