// `--only dev_server`: what `npm run dev`'s way of serving the Worker costs.
// The floor and the first page, on the same bundle, state and load, served
// three ways in turn: as the bench serves it (one workerd, no proxy), by
// `wrangler dev` as `npm run dev` runs it (ProxyWorker in front, local
// observability on), and by `wrangler dev` with X_LOCAL_OBSERVABILITY=false.
// CPU per request counts every process of the server: wrangler's Node and its
// two workerd processes (the proxy's and the Worker's), or serve-worker's.
import { floorAndFirstPage } from "./reads.mjs";

export const SERVINGS = [
  { name: "direct", label: "one workerd through the Miniflare API (the bench)", dev: false },
  {
    name: "wrangler_dev",
    label: "`wrangler dev` (`npm run dev`: ProxyWorker + local observability)",
    dev: true,
    observability: true,
  },
  {
    name: "wrangler_dev_no_observability",
    label: "`X_LOCAL_OBSERVABILITY=false` `wrangler dev`",
    dev: true,
    observability: false,
  },
];

/** `serve(serving, work)` starts the server for one serving and runs `work({ baseUrl, cpuSeconds })` on it. */
export async function measureDevServing({ serve, mode, regularUserIds, log }) {
  const results = {};
  for (const serving of SERVINGS) {
    log(`  ${serving.label}`);
    results[serving.name] = await serve(serving, ({ baseUrl, cpuSeconds }) =>
      floorAndFirstPage(baseUrl, mode, regularUserIds, { cpuSeconds, log }),
    );
    results[serving.name].label = serving.label;
  }
  return results;
}
