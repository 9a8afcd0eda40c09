// V8 CPU profiles of the workerd isolates (the Worker, and Miniflare's own
// D1/KV/queue workers beside it) over the inspector protocol, and a summary
// of where the time went: self time by isolate, by source (the Worker's
// bundle mapped back to src/ and node_modules/ through its source map) and
// by function. Used by bench/profile.mjs.
import { readFileSync } from "node:fs";

/** Starts the sampling profiler in every isolate the inspector lists; stop() returns their profiles. */
export async function profileIsolates(inspectorPort, { samplingMicros = 500, only } = {}) {
  const listed = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  const targets = only ? listed.filter((target) => only.includes(target.id)) : listed;
  const sessions = await Promise.all(targets.map((target) => openSession(target)));
  for (const session of sessions) {
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: samplingMicros });
    await session.send("Profiler.start");
  }
  return {
    async stop() {
      const profiles = {};
      for (const session of sessions) {
        profiles[session.id] = (await session.send("Profiler.stop")).profile;
        session.close();
      }
      return profiles;
    },
  };
}

function openSession(target) {
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  const pending = new Map();
  let nextId = 1;
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${target.id}: ${message.error.message}`));
    else waiter.resolve(message.result);
  });
  return new Promise((resolve, reject) => {
    socket.addEventListener("error", () => reject(new Error(`inspector: cannot connect to ${target.id}`)));
    socket.addEventListener("open", () =>
      resolve({
        id: target.id,
        send: (method, params = {}) =>
          new Promise((done, fail) => {
            const id = nextId++;
            pending.set(id, { resolve: done, reject: fail });
            socket.send(JSON.stringify({ id, method, params }));
          }),
        close: () => socket.close(),
      }),
    );
  });
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** A source map's lookup: generated (line, column), 0-based, to its source file. */
export function sourceLookup(mapFile) {
  const map = JSON.parse(readFileSync(mapFile, "utf8"));
  const lines = [];
  let source = 0;
  for (const line of map.mappings.split(";")) {
    const segments = [];
    let column = 0;
    for (const segment of line.split(",")) {
      if (!segment) continue;
      const values = [];
      let value = 0;
      let shift = 0;
      for (const char of segment) {
        const digit = BASE64.indexOf(char);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += values[0];
      if (values.length > 1) source += values[1];
      // The other fields (original line, column, name) are not needed here.
      segments.push([column, values.length > 1 ? source : -1]);
    }
    lines.push(segments);
  }
  return (line, column) => {
    const segments = lines[line];
    if (!segments?.length) return undefined;
    let low = 0;
    let high = segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (segments[middle][0] <= column) low = middle;
      else high = middle - 1;
    }
    const index = segments[low][1];
    return index >= 0 ? map.sources[index] : undefined;
  };
}

/** "src/feed", "hono", "drizzle-orm", ... from a source path of the bundle's map. */
export function sourceGroup(sourcePath) {
  const modules = sourcePath.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const parts = sourcePath.slice(modules + "node_modules/".length).split("/");
    // drizzle-orm's own maps point at ../src/…, which esbuild resolves to node_modules/src/….
    if (parts[0] === "src") return "drizzle-orm";
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const src = sourcePath.indexOf("src/");
  if (src >= 0) return sourcePath.slice(src).split("/").slice(0, 2).join("/");
  return sourcePath;
}

/** Self time per node of a profile, in ms (samples × their intervals). */
function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  for (let index = 0; index < profile.samples.length; index++) {
    const id = profile.samples[index];
    const delta = (profile.timeDeltas[index + 1] ?? profile.timeDeltas[index] ?? 0) / 1000;
    self.set(id, (self.get(id) ?? 0) + delta);
  }
  return [...self].map(([id, ms]) => ({ node: byId.get(id), ms }));
}

const IDLE = new Set(["(idle)", "(program)"]);

/**
 * Where the time went: busy ms per isolate; for each, self time by source group
 * (via `lookup` for the bundle `bundleUrl`) and the top functions.
 */
export function summarizeProfiles(profiles, { lookup, bundleUrl, top = 15 }) {
  const isolates = [];
  for (const [id, profile] of Object.entries(profiles)) {
    const groups = new Map();
    const functions = new Map();
    let busy = 0;
    let program = 0;
    let gc = 0;
    for (const { node, ms } of selfTimes(profile)) {
      const { functionName, url, lineNumber, columnNumber } = node.callFrame;
      if (functionName === "(program)") program += ms;
      if (functionName === "(garbage collector)") gc += ms;
      if (IDLE.has(functionName)) continue;
      busy += ms;
      const source =
        lookup && url && bundleUrl && url.endsWith(bundleUrl) ? lookup(lineNumber, columnNumber) : undefined;
      const group = source ? sourceGroup(source) : url ? url.replace(/^.*\//, "") : "(native / builtin)";
      groups.set(group, (groups.get(group) ?? 0) + ms);
      const name = `${functionName || "(anonymous)"} ${source ? source.replace(/^.*node_modules\//, "") : url.replace(/^.*\//, "")}:${lineNumber + 1}`;
      functions.set(name, (functions.get(name) ?? 0) + ms);
    }
    if (busy + gc < 1) continue;
    const sorted = (map) =>
      [...map]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([name, ms]) => ({ name, ms }));
    isolates.push({
      id,
      busy_ms: busy,
      program_ms: program,
      gc_ms: gc,
      groups: sorted(groups),
      functions: sorted(functions),
    });
  }
  return isolates.sort((a, b) => b.busy_ms - a.busy_ms);
}
