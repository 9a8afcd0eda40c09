import { applyD1Migrations, env } from "cloudflare:test";

// Every bound shard gets the same schema, as `npm run dev` does for the local
// shards: SHARD_COUNT of them are used from the start, the rest wait for a
// reshard (wrangler.toml binds SHARD_0 … SHARD_7).
let index = 0;
for (; env[`SHARD_${index}`]; index++) await applyD1Migrations(env[`SHARD_${index}`]!, env.TEST_MIGRATIONS);
if (index <= Number(env.SHARD_COUNT)) throw new Error(`only ${index} shards are bound; a reshard needs more`);
