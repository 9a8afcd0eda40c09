/**
 * Import rules for src/ and web/, checked by `npm run lint` (and so by `npm test`).
 * Imports run one way: entry points -> routes / consumer / cron -> domain ->
 * storage -> shards (docs/decisions/001-layers.md).
 */
const DOMAIN = "^src/(feed|retention|archive|cache|monitoring|live|reshard)/";
const STORAGE = "^src/(db|shards)/";

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Two modules that need each other: move the shared part into a module both import.",
      from: { path: "^src/" },
      // A loop closed only by a type import (the job registry's kind names in
      // src/jobs/launch.ts) is no loop at run time.
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "storage-below-domain",
      severity: "error",
      comment: "Storage (queries, shard routing) never calls up into the domain, HTTP or queue layers.",
      from: { path: STORAGE },
      // The activity types table is shared vocabulary; type-only imports carry no behaviour.
      to: {
        path: "^src/(feed|retention|archive|cache|monitoring|live|reshard|jobs|queue|routes|http|auth|scheduled|channel)/",
        pathNot: "^src/feed/activity-types\\.ts$",
        dependencyTypesNot: ["type-only"],
      },
    },
    {
      name: "domain-not-http",
      severity: "error",
      comment: "Domain code knows nothing of HTTP or wire shapes: routes (and src/wire) shape the answers.",
      from: { path: DOMAIN },
      to: { path: "^src/(routes|http|auth|wire|app\\.ts)" },
    },
    {
      name: "domain-not-runner",
      severity: "error",
      comment: "Domain code starts jobs through src/jobs/launch.ts; only the consumer and routes run them.",
      from: { path: DOMAIN },
      to: { path: "^src/(jobs/(runner|registry)\\.ts|queue/consumer\\.ts|scheduled/)" },
    },
    {
      name: "chunk-contract-is-a-leaf",
      severity: "error",
      comment: "Job kinds implement src/jobs/chunk.ts without pulling the domain in through it.",
      from: { path: "^src/jobs/chunk\\.ts$" },
      to: { path: "^src/(feed|retention|archive|cache|reshard|db|queue|routes)/" },
    },
    {
      name: "entry-points-only-from-index",
      severity: "error",
      comment: "Routes, the consumer, the cron and the Durable Objects are wired by src/index.ts (and the app) only.",
      from: { path: "^src/", pathNot: "^src/(index|app)\\.ts$" },
      to: { path: "^src/(routes/|queue/consumer\\.ts|scheduled/|channel/)" },
    },
    {
      name: "client-stands-alone",
      severity: "error",
      comment:
        "The typed client runs in browsers, React Native and Node: it reads the contract's types from src/schemas and bundles nothing of the Worker.",
      from: { path: "^src/client/" },
      to: { path: "^src/", pathNot: "^src/(client|schemas)/" },
    },
    {
      name: "client-imports-only-types",
      severity: "error",
      comment: "From src/schemas the client takes types only (z.infer); a value would bundle zod and the schemas.",
      from: { path: "^src/client/" },
      to: { path: "^src/schemas/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "web-through-the-client",
      severity: "error",
      comment:
        "The browser code (web/) talks to the API through the typed client; of the Worker it may bundle only the activity types table (names and display names).",
      from: { path: "^web/" },
      to: { path: "^src/", pathNot: "^src/(client/|feed/activity-types\\.ts$)" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs"] },
  },
};
