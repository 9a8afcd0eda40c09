import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { buildAll } from "./scripts/build.mjs";

// Three projects: the Worker's tests run inside workerd with the real local
// D1 / KV / R2 / Queues from wrangler.toml (Miniflare; migrations applied to
// every shard in test/setup.ts); the scripts' tests (dev, seed, token, CLI)
// run in Node, as the scripts do; the browser tests drive headless Chromium
// against the Worker under wrangler dev (test/browser).
//
// The plugin reads .dev.vars through wrangler whenever the file exists (it has
// no option to skip it) and logs "Using secrets defined in .dev.vars" once per
// test file; the bindings below override every key .dev.vars.example sets.
// Wrangler's info lines are quieted; its warnings still show.
process.env.WRANGLER_LOG ??= "warn";

export default defineConfig(async () => {
  // What the tests serve and import: dist/assets ([assets] in wrangler.toml) and dist/client (the CLI's).
  await buildAll();
  const migrations = await readD1Migrations("migrations");
  return {
    test: {
      // A green run looks green: the logs of passing tests (expected simulated
      // failures among them) are shown only when a test fails.
      silent: "passed-only" as const,
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  ENVIRONMENT: "test",
                  JWT_SECRET: "test-secret-at-least-16-chars",
                  CORS_ALLOWED_ORIGINS: "https://app.example.org",
                  // A reshard waits out the routing cache before it moves anyone: one second here.
                  ROUTING_CACHE_SECONDS: "1",
                },
              },
            }),
          ],
          test: {
            name: "worker",
            setupFiles: ["./test/setup.ts"],
            // Tests that wait for queued events see the work queue's one-second
            // batch window per hop; on a busy machine a few hops need more than 5 s.
            testTimeout: 30_000,
            include: ["test/**/*.test.ts"],
          },
        },
        {
          test: {
            name: "scripts",
            environment: "node",
            testTimeout: 30_000,
            include: ["test/scripts/**/*.test.mjs"],
          },
        },
        {
          test: {
            name: "browser",
            environment: "node",
            testTimeout: 60_000,
            hookTimeout: 180_000,
            include: ["test/browser/**/*.test.mjs"],
          },
        },
      ],
    },
  };
});
