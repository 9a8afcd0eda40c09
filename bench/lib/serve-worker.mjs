#!/usr/bin/env node
// The Worker as production runs it, in a process of its own (bench/lib/server.mjs
// starts it): one workerd through the Miniflare API, serving the
// `wrangler deploy --dry-run` bundle with the bindings wrangler itself derives
// from wrangler.toml (unstable_getMiniflareWorkerOptions), over the bench's
// persist directory; requests reach the Worker on a socket of its own, without
// Miniflare's entry worker, a dev proxy, local observability or a request log
// (bench/README.md, "How the Worker is served").
//
//   node bench/lib/serve-worker.mjs '{"bundle":…,"persistTo":…,"port":8799,"vars":{…},"tmpDir":…}'
import { createRequire } from "node:module";
import path from "node:path";
import { ROOT } from "../../scripts/lib/project.mjs";

const { bundle, persistTo, port, vars = {}, tmpDir, inspectorPort } = JSON.parse(process.argv[2]);

// wrangler's own Miniflare (another copy in node_modules may be another version).
const fromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler"));
const { unstable_getMiniflareWorkerOptions } = fromWrangler("wrangler");
const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = fromWrangler("miniflare");

// modulesRules are for wrangler's bundler; the bundle is one ES module already.
const { modulesRules: _rules, ...workerOptions } = unstable_getMiniflareWorkerOptions(
  path.join(ROOT, "wrangler.toml"),
).workerOptions;

// wrangler 4.16x builds Miniflare 4-style options and converts them, as here.
const options = convertV4MiniflareOptions({
  host: "127.0.0.1",
  port: 0, // Miniflare's entry worker, unused: requests go to the direct socket below
  log: new Log(LogLevel.INFO),
  logRequests: false,
  unsafeObservability: false,
  unsafeLocalExplorer: false,
  ...(inspectorPort ? { inspectorPort, inspectorHost: "127.0.0.1" } : {}), // V8 CPU profiles (bench/profile.mjs)
  cf: false, // Miniflare's placeholder `request.cf` (fetching the real one needs the internet)
  // wrangler dev's layout: `--persist-to X` keeps its state under X/v3.
  resourcePersistencePath: path.join(persistTo, "v3"),
  resourceTmpPath: tmpDir,
  workers: [
    {
      ...workerOptions,
      name: "activity-feed",
      bindings: { ...workerOptions.bindings, ...vars },
      modules: true,
      scriptPath: bundle,
      modulesRoot: path.dirname(bundle),
      unsafeDirectSockets: [{ host: "127.0.0.1", port }],
    },
  ],
});
const miniflare = new Miniflare(options);
await miniflare.ready;
console.log(`serve-worker: the Worker answers on http://127.0.0.1:${port} (one workerd, Miniflare API)`);

const stop = async () => {
  await miniflare.dispose();
  process.exit(0);
};
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, stop);
