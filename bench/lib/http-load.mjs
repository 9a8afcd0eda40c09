// HTTP load with autocannon: several connections for a fixed time, repeated,
// the targets of one comparison interleaved round by round so that drift of
// the machine (2 shared cores) hits every target alike. With `cpuSeconds` (the
// server's process CPU so far) each run also reports CPU ms per request.
// Raw HTTP on purpose: this is the load, not a client (functional calls use the typed client, lib/api.mjs).
import autocannon from "autocannon";
import { median } from "./stats.mjs";

/**
 * A target: { name, path, headers } for one fixed request, or { name, next }
 * where next() returns { path, headers, method?, body? } for each request
 * (e.g. a random user's token).
 */
export function runOnce(baseUrl, target, { connections, seconds }) {
  const fixed = {
    method: target.method ?? "GET",
    path: target.path,
    headers: target.headers ?? {},
    ...(target.body ? { body: target.body } : {}),
  };
  const request = target.next ? { setupRequest: (defaults) => ({ ...defaults, ...target.next() }) } : fixed;
  const options = { url: baseUrl, connections, duration: seconds, timeout: 30, requests: [request], setupClient };
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/**
 * For servers that answer `Connection: close` (gunicorn's sync workers, the
 * Django peer): autocannon 9 writes its next request on the closing socket,
 * where it dies and stays queued, so every later response is timed from a
 * stale start. Here the next request waits for the new connection (timed
 * from there, connect included) and a reconnect drops what the dead socket
 * left queued. Servers that keep connections alive never take these paths.
 * (The peer's bench/ac.mjs does the same.)
 */
function setupClient(client) {
  let serverCloses = false;
  client.on("headers", (info) => {
    serverCloses = info.shouldKeepAlive === false;
  });
  const doRequest = client._doRequest.bind(client);
  client._doRequest = () => {
    if (!serverCloses) return doRequest();
    serverCloses = false;
    return undefined;
  };
  const connect = client._connect.bind(client);
  client._connect = () => {
    client.pipelinedRequests.clear();
    return connect();
  };
}

/** A few requests before timing, so that every code path and page is warm. */
async function warmUp(baseUrl, target, count) {
  for (let index = 0; index < count; index++) {
    const { method = "GET", path, headers = {}, body } = target.next ? target.next() : target;
    const response = await fetch(new URL(path, baseUrl), { method, headers, body });
    await response.arrayBuffer();
  }
}

const summarize = (result) => ({
  p50_ms: result.latency.p50,
  p99_ms: result.latency.p99,
  rps: result.requests.average,
  requests: result.requests.total,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
});

/** CPU per request, and the requests one core would serve at that cost. */
const perCore = (cpuMs) => ({ cpu_ms_per_request: cpuMs, rps_per_core: cpuMs > 0 ? 1000 / cpuMs : null });

/** Medians over `repeats` interleaved rounds; one result per target name. */
export async function measureTargets(
  baseUrl,
  targets,
  { connections, seconds, repeats, warmupRequests = 20, cpuSeconds, log = () => {} },
) {
  const runs = Object.fromEntries(targets.map((target) => [target.name, []]));
  for (const target of targets) await warmUp(baseUrl, target, warmupRequests);
  for (let round = 1; round <= repeats; round++) {
    for (const target of targets) {
      const cpuBefore = cpuSeconds?.();
      const result = summarize(await runOnce(baseUrl, target, { connections, seconds }));
      // autocannon counts only the requests answered within the run; the CPU of the
      // few still in flight at its end falls into this run too (10 of thousands).
      if (cpuSeconds) result.cpu_ms_per_request = ((cpuSeconds() - cpuBefore) * 1000) / result.requests;
      runs[target.name].push(result);
      log(
        `    round ${round}/${repeats} ${target.name.padEnd(34)} p50 ${result.p50_ms} ms  p99 ${result.p99_ms} ms  ${result.rps.toFixed(0)} req/s` +
          (cpuSeconds ? `  ${result.cpu_ms_per_request.toFixed(3)} ms CPU/req` : "") +
          (result.non2xx || result.errors ? `  (${result.non2xx} non-2xx, ${result.errors} errors)` : ""),
      );
    }
  }
  return Object.fromEntries(
    targets.map((target) => {
      const list = runs[target.name];
      return [
        target.name,
        {
          p50_ms: median(list.map((run) => run.p50_ms)),
          p99_ms: median(list.map((run) => run.p99_ms)),
          rps: median(list.map((run) => run.rps)),
          ...(cpuSeconds ? perCore(median(list.map((run) => run.cpu_ms_per_request))) : {}),
          runs: list.length,
          requests: list.reduce((sum, run) => sum + run.requests, 0),
          non2xx: list.reduce((sum, run) => sum + run.non2xx, 0),
          errors: list.reduce((sum, run) => sum + run.errors, 0),
          per_run: list,
        },
      ];
    }),
  );
}
