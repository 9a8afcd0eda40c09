// Scenario 9: the live channel (docs/live.md) with many WebSockets open at
// once (full 1,000, quick 100: distinct users, each opened with a ticket,
// on localhost), on a Worker in synchronous mode:
//   - delivery latency: a synchronous POST /api/internal/events/ (one event,
//     201) for one connected user at a time, timed until that user's socket
//     receives the item.created, from the POST's 201 and from its send;
//   - the first page against the floor while the sockets are open;
//   - a reminder fan-out's job time (POST /api/internal/reminders/ → 202,
//     GET /api/admin/jobs/{id}/ until done) to the participants of a fast of
//     whom 1% are connected, against the same fan-out to a fast of as many
//     participants of whom none is, in interleaved runs; every connected
//     participant must receive its item.created, nobody else anything.
// After the Worker stopped, run.mjs reads the channels' own storage
// (channelStorage): which users' objects exist, and what they logged.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { FEED, feedClient, pollJob, staffClient } from "../lib/api.mjs";
import { LIVE_FASTS, LIVE_USER_BASE } from "../lib/dataset.mjs";
import { liveUsers } from "../lib/load-dataset.mjs";
import { openDatabase } from "../lib/sqlite.mjs";
import { median, quantile, ratio, sleep } from "../lib/stats.mjs";
import { floorAndFirstPage, roundRatio } from "./reads.mjs";

const LIVE = `${FEED}live/`;
const OPEN_TIMEOUT_MS = 30_000;
const DELIVERY_TIMEOUT_MS = 10_000;
const FANOUT_MAX_SECONDS = 600;
/** How long after a fan-out's job is done its last deliveries may still come (those the budget sent through the queue). */
const SETTLE_MS = 20_000;
/** How long a fan-out to nobody connected is watched after it is done, for messages that must not come. */
const QUIET_MS = 1_000;
const CLOSE_TIMEOUT_MS = 30_000;

const sum = (values) => values.reduce((total, value) => total + value, 0);
const spread = (values) => ({
  p50_ms: quantile(values, 0.5),
  p99_ms: quantile(values, 0.99),
  min_ms: values.length ? Math.min(...values) : null,
  max_ms: values.length ? Math.max(...values) : null,
});

/** One user's open WebSocket and what it received. */
class LiveClient {
  constructor(userId, socket) {
    this.userId = userId;
    this.socket = socket;
    this.types = {};
    /** item.created messages: { at (performance.now()), item }. */
    this.created = [];
    /** Messages whose seq was not the one after the last (docs/live.md: +1 with every change). */
    this.seqGaps = 0;
    this.seq = undefined;
    this.waiters = new Set();
    this.closed = false;
    socket.addEventListener("message", (event) => this.receive(performance.now(), event.data));
    socket.addEventListener("close", (event) => {
      this.closed = true;
      for (const waiter of this.waiters) waiter.reject(new Error(`socket closed (${event.code} ${event.reason})`));
      this.waiters.clear();
    });
  }

  receive(at, data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      message = { type: "unparsable" };
    }
    this.types[message.type] = (this.types[message.type] ?? 0) + 1;
    if (message.type === "hello" || message.type === "reset") this.seq = message.seq;
    else if (typeof message.seq === "number") {
      if (message.seq !== this.seq + 1) this.seqGaps++;
      this.seq = message.seq;
    }
    if (message.type === "item.created") this.created.push({ at, item: message.item });
    for (const waiter of this.waiters) {
      if (!waiter.match(message)) continue;
      this.waiters.delete(waiter);
      waiter.resolve({ at, message });
    }
  }

  /** The next message `match` accepts, with its arrival time; rejects on close or after `timeoutMs`. */
  next(match, timeoutMs) {
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`user ${this.userId}: no matching message in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }
}

/** POST live/ticket/, then the WebSocket with `?ticket=`, until its hello. */
async function openChannel(baseUrl, userId) {
  const started = performance.now();
  const { ticket } = await feedClient(baseUrl, userId).liveTicket();
  const ticketed = performance.now();
  const url = new URL(`${LIVE}?ticket=${encodeURIComponent(ticket)}`, baseUrl);
  url.protocol = "ws:";
  const client = new LiveClient(userId, new WebSocket(url));
  try {
    await client.next((message) => message.type === "hello", OPEN_TIMEOUT_MS);
  } catch (error) {
    client.socket.close();
    throw error;
  }
  return { client, ms: performance.now() - started, ticketMs: ticketed - started };
}

/** Opens a channel for every user, `batch` at a time (the machine's file descriptors, the Worker's one thread). */
async function openChannels(baseUrl, userIds, batch, log) {
  const started = performance.now();
  const opened = [];
  const failures = [];
  for (let from = 0; from < userIds.length; from += batch) {
    const results = await Promise.allSettled(userIds.slice(from, from + batch).map((id) => openChannel(baseUrl, id)));
    for (const result of results) {
      if (result.status === "fulfilled") opened.push(result.value);
      else failures.push(String(result.reason?.message ?? result.reason));
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const setup = {
    asked: userIds.length,
    opened: opened.length,
    failures: failures.length,
    first_failure: failures[0] ?? null,
    batch,
    seconds,
    per_s: opened.length / seconds,
    ...spread(opened.map((entry) => entry.ms)),
    ticket_p50_ms: quantile(
      opened.map((entry) => entry.ticketMs),
      0.5,
    ),
  };
  log(
    `    ${setup.opened} of ${setup.asked} WebSockets open (ticket, upgrade, hello; ${batch} at a time) in ${seconds.toFixed(1)} s: ${setup.per_s.toFixed(0)}/s, each p50 ${setup.p50_ms?.toFixed(0)} ms, p99 ${setup.p99_ms?.toFixed(0)} ms` +
      (failures.length ? `; ${failures.length} failed, first: ${failures[0]}` : ""),
  );
  return { clients: opened.map((entry) => entry.client), setup };
}

/** Rows of live_users (the channels' presence) among the live scenario's users, read straight from the shard files. */
function presenceRows(shardFiles) {
  let rows = 0;
  for (const file of shardFiles) {
    const db = openDatabase(file, { readOnly: true });
    rows += db.prepare("SELECT count(*) AS n FROM live_users WHERE user_id > ?").get(LIVE_USER_BASE).n;
    db.close();
  }
  return rows;
}

/**
 * One synchronous POST of one event at a time, each for another connected
 * user, timed until that user's socket has the item.created.
 */
async function timeDeliveries(baseUrl, clients, count, log) {
  const step = Math.max(1, Math.floor(clients.length / count));
  const sample = clients.filter((_, index) => index % step === 0).slice(0, count);
  const fromAnswer = [];
  const fromSend = [];
  const problems = { not_201: 0, lost: 0, other_item: 0, first: null };
  const tag = Date.now().toString(36);
  const staff = staffClient(baseUrl);
  for (const client of sample) {
    const delivered = client.next((message) => message.type === "item.created", DELIVERY_TIMEOUT_MS);
    const sent = performance.now();
    const body = await staff
      .ingest({
        user_id: client.userId,
        activity_type: "fast_start",
        data: { fast_id: LIVE_FASTS.connected, fast_name: `Live fast ${LIVE_FASTS.connected}` },
        event_id: `live-${tag}-${client.userId}`,
      })
      .catch((error) => ({ error }));
    const answered = performance.now();
    const { status } = staff.lastAnswer();
    if (status !== 201) {
      problems.not_201++;
      problems.first ??= `POST /api/internal/events/: ${body.error?.message ?? `${status} ${JSON.stringify(body).slice(0, 200)}`}`;
      delivered.catch(() => {});
      continue;
    }
    try {
      const { at, message } = await delivered;
      if (message.item?.id !== body.results?.[0]?.id) problems.other_item++;
      fromAnswer.push(at - answered);
      fromSend.push(at - sent);
    } catch (error) {
      problems.lost++;
      problems.first ??= error.message;
    }
  }
  const result = {
    measured: "synchronous POST /api/internal/events/ (one event, 201) → the user's item.created",
    sample: sample.length,
    delivered: fromAnswer.length,
    ...problems,
    from_201: spread(fromAnswer),
    from_send: spread(fromSend),
    before_201: fromAnswer.filter((ms) => ms < 0).length,
  };
  log(
    `    delivery, ${result.delivered} of ${result.sample} users: from the 201 p50 ${result.from_201.p50_ms?.toFixed(1)} ms, p99 ${result.from_201.p99_ms?.toFixed(1)} ms; from the send p50 ${result.from_send.p50_ms?.toFixed(1)} ms, p99 ${result.from_send.p99_ms?.toFixed(1)} ms` +
      ` (${result.before_201} arrived before the 201)` +
      (result.not_201 || result.lost || result.other_item
        ? `; ${result.not_201} not 201, ${result.lost} lost, ${result.other_item} another item; first: ${result.first}`
        : ""),
  );
  return result;
}

/**
 * One reminder fan-out, timed from its POST until a poll finds its job done;
 * then the deliveries: every connected participant's item.created of this
 * reminder (waited for up to SETTLE_MS more), or, with nobody connected,
 * whatever arrives within QUIET_MS (nothing should).
 */
async function fanOut(baseUrl, { condition, fastId, devotionalId, clients, participants, cpuSeconds }) {
  const marks = clients.map((client) => client.created.length);
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  const body = {
    kind: "devotional_reminder",
    devotional_id: devotionalId,
    fast_id: fastId,
    fast_name: `Live fast ${fastId}`,
    video_title: `Live bench ${devotionalId}`,
  };
  const staff = staffClient(baseUrl);
  const queued = await staff.reminders(body);
  if (queued.status !== "queued") throw new Error(`fan-out answered ${JSON.stringify(queued)}, not a queued job`);
  const { answer, seconds } = await pollJob(staff, queued.job_id, {
    started,
    maxSeconds: FANOUT_MAX_SECONDS,
    firstWait: 100,
    maxWait: 100,
  });
  if (!answer.job.done) throw new Error(`fan-out job ${queued.job_id} not done after ${FANOUT_MAX_SECONDS} s`);
  const doneAt = performance.now();
  const cpu = cpuSeconds() - cpuBefore;
  const since = (client, index) => client.created.slice(marks[index]);
  const ours = (entries) =>
    entries.filter(
      ({ item }) => item.activity_type === "devotional_reminder" && item.data?.devotional_id === devotionalId,
    );
  const expected = condition === "connected" ? clients.length : 0;
  const reached = () => clients.filter((client, index) => ours(since(client, index)).length > 0).length;
  if (expected > 0) while (reached() < expected && performance.now() - doneAt < SETTLE_MS) await sleep(50);
  else await sleep(QUIET_MS);
  const received = clients.map((client, index) => since(client, index));
  const matching = received.map(ours);
  const arrivals = matching.flat().map((entry) => entry.at);
  return {
    condition,
    fast_id: fastId,
    devotional_id: devotionalId,
    job_id: queued.job_id,
    targeted: queued.targeted_users,
    participants,
    affected: answer.job.affected,
    seconds,
    cpu_seconds: cpu,
    expected_deliveries: expected,
    deliveries: matching.filter((entries) => entries.length > 0).length,
    duplicates: sum(matching.map((entries) => Math.max(0, entries.length - 1))),
    unexpected_messages:
      sum(received.map((entries) => entries.length)) - sum(matching.map((entries) => entries.length)),
    after_done: arrivals.filter((at) => at > doneAt).length,
    last_delivery_seconds: arrivals.length ? (Math.max(...arrivals) - started) / 1000 : null,
  };
}

/** Warnings and errors the Worker logged since byte `from` of its log, by message. */
function logProblems(logFile, from) {
  const lines = readFileSync(logFile, "utf8").slice(from).split("\n");
  const byMessage = {};
  let total = 0;
  for (const line of lines) {
    const match = /"level":"(warn|error)","msg":"([^"]*)"/.exec(line);
    if (!match) continue;
    total++;
    const key = `${match[1]}: ${match[2]}`;
    byMessage[key] = (byMessage[key] ?? 0) + 1;
  }
  return { total, by_message: byMessage };
}

/** Closes every socket and waits until the channels have removed their presence rows. */
async function closeAll(clients, shardFiles) {
  const started = performance.now();
  for (const client of clients) client.socket.close(1000, "bench done");
  while (clients.some((client) => !client.closed) && performance.now() - started < CLOSE_TIMEOUT_MS) await sleep(50);
  let left = presenceRows(shardFiles);
  while (left > 0 && performance.now() - started < CLOSE_TIMEOUT_MS) {
    await sleep(250);
    left = presenceRows(shardFiles);
  }
  return {
    closed: clients.filter((client) => client.closed).length,
    seconds: (performance.now() - started) / 1000,
    presence_rows_left: left,
  };
}

/** Scenario 2's figure, the first page's req/s against the floor's, measured side by side on this Worker. */
async function firstPageVsFloor(baseUrl, mode, regularUserIds, options) {
  const measurements = await floorAndFirstPage(baseUrl, mode, regularUserIds, options);
  return {
    measurements,
    first_page_rps_vs_floor: roundRatio(measurements, "first_page_random", "floor", "rps"),
    first_page_cpu_vs_floor: roundRatio(measurements, "first_page_random", "floor", "cpu_ms_per_request"),
  };
}

export async function runLive({ baseUrl, mode, shardFiles, logFile, regularUserIds, cpuSeconds, residentBytes, log }) {
  const settings = mode.live;
  const users = liveUsers(mode);
  const logFrom = statSync(logFile).size;
  log("  the floor and the first page on this Worker before any WebSocket opens");
  const beforeSockets = await firstPageVsFloor(baseUrl, mode, regularUserIds, { cpuSeconds, log });
  const memory = { before_sockets_bytes: residentBytes() };
  log(`  ${users.connected.length} WebSockets, one per user (1% of the first fast's participants)`);
  const { clients, setup } = await openChannels(baseUrl, users.connected, settings.openBatch, log);
  if (clients.length === 0) throw new Error(`no WebSocket opened: ${setup.first_failure}`);
  memory.sockets_open_bytes = residentBytes();
  setup.presence_rows = presenceRows(shardFiles);
  log(
    `    live_users rows on the shards: ${setup.presence_rows}; workerd resident memory ${(memory.before_sockets_bytes / 1e6).toFixed(0)} MB before, ${(memory.sockets_open_bytes / 1e6).toFixed(0)} MB with them open`,
  );
  let result;
  try {
    result = await measureOpen({ baseUrl, mode, users, clients, regularUserIds, cpuSeconds, log });
    result.connections = setup;
    result.memory = { ...memory, after_fan_outs_bytes: residentBytes() };
    result.first_page.before_sockets = beforeSockets;
    result.first_page.sockets_open = clients.length;
    result.first_page.with_vs_without = ratio(
      result.first_page.first_page_rps_vs_floor,
      beforeSockets.first_page_rps_vs_floor,
    );
    return result;
  } finally {
    const closing = await closeAll(clients, shardFiles);
    log(
      `  closed ${closing.closed} of ${clients.length} WebSockets in ${closing.seconds.toFixed(1)} s; live_users rows left: ${closing.presence_rows_left}`,
    );
    if (result) {
      result.close = closing;
      result.worker_log = logProblems(logFile, logFrom);
    }
  }
}

/** Everything measured while the sockets are open. */
async function measureOpen({ baseUrl, mode, users, clients, regularUserIds, cpuSeconds, log }) {
  const settings = mode.live;
  const delivery = await timeDeliveries(baseUrl, clients, settings.deliveries, log);

  log(`  the floor and the first page with ${clients.length} WebSockets open`);
  const firstPage = await firstPageVsFloor(baseUrl, mode, regularUserIds, { cpuSeconds, log });

  // The delivery test cached the badge of every user it wrote to (a one-user
  // write does), and a fan-out chunk rewrites the cached counts among its
  // users: the same share of each fast gets one, so that the two fan-outs
  // differ only in who is connected.
  for (const userId of [...users.connected, ...users.counterparts]) await feedClient(baseUrl, userId).unreadCount();
  const fanout = await compareFanOuts({ baseUrl, settings, clients, cpuSeconds, log });
  return {
    settings,
    delivery,
    first_page: firstPage,
    fanout,
    messages: {
      by_type: clients.reduce((totals, client) => {
        for (const [type, count] of Object.entries(client.types)) totals[type] = (totals[type] ?? 0) + count;
        return totals;
      }, {}),
      item_created: sum(clients.map((client) => client.created.length)),
      seq_gaps: sum(clients.map((client) => client.seqGaps)),
      closed_early: clients.filter((client) => client.closed).length,
    },
  };
}

const describeRun = (run) =>
  `${run.condition.padEnd(9)} ${run.seconds.toFixed(2)} s (workerd CPU ${run.cpu_seconds.toFixed(2)} s), ${run.affected} items, ${run.deliveries}/${run.expected_deliveries} delivered` +
  (run.after_done
    ? ` (${run.after_done} after the job was done, last at ${run.last_delivery_seconds.toFixed(1)} s)`
    : "") +
  (run.duplicates || run.unexpected_messages
    ? `; ${run.duplicates} duplicates, ${run.unexpected_messages} unexpected messages`
    : "");

/** The fan-out to the fast with 1% connected against the one with nobody connected: an untimed run of each, then ABBA rounds. */
async function compareFanOuts({ baseUrl, settings, clients, cpuSeconds, log }) {
  log(
    `  reminder fan-out to ${settings.participants.toLocaleString("en")} participants: ${clients.length} connected vs none; one untimed run of each, then ${settings.fanoutRuns} of each, interleaved`,
  );
  const fasts = { connected: LIVE_FASTS.connected, none: LIVE_FASTS.none };
  const devotionalBase = Math.floor(Date.now() / 1000) * 100;
  let devotional = 0;
  const runOne = (condition) =>
    fanOut(baseUrl, {
      condition,
      fastId: fasts[condition],
      devotionalId: devotionalBase + ++devotional,
      clients,
      participants: settings.participants,
      cpuSeconds,
    });
  const warmUp = [await runOne("none"), await runOne("connected")];
  log(`    warm-up: ${warmUp.map(describeRun).join("; ")}`);
  const runs = [];
  for (let round = 1; round <= settings.fanoutRuns; round++) {
    // ABBA: drift of the machine hits both conditions alike.
    for (const condition of round % 2 === 1 ? ["connected", "none"] : ["none", "connected"]) {
      const run = { round, ...(await runOne(condition)) };
      runs.push(run);
      log(`    round ${round}/${settings.fanoutRuns} ${describeRun(run)}`);
    }
  }
  const connectedRuns = runs.filter((run) => run.condition === "connected");
  const noneRuns = runs.filter((run) => run.condition === "none");
  const medianOf = (list, key) => median(list.map((run) => run[key]));
  const fanout = {
    participants: settings.participants,
    connected_participants: clients.length,
    measured: "POST /api/internal/reminders/ (202) until GET /api/admin/jobs/{id}/ says done, polled every 100 ms",
    connected_median_seconds: medianOf(connectedRuns, "seconds"),
    none_median_seconds: medianOf(noneRuns, "seconds"),
    connected_median_cpu_seconds: medianOf(connectedRuns, "cpu_seconds"),
    none_median_cpu_seconds: medianOf(noneRuns, "cpu_seconds"),
    round_ratios: connectedRuns.map((run) =>
      ratio(run.seconds, noneRuns.find((other) => other.round === run.round)?.seconds ?? null),
    ),
    expected_deliveries: sum(connectedRuns.map((run) => run.expected_deliveries)),
    deliveries: sum(connectedRuns.map((run) => run.deliveries)),
    duplicates: sum(runs.map((run) => run.duplicates)),
    unexpected_messages: sum(runs.map((run) => run.unexpected_messages)),
    after_done: sum(connectedRuns.map((run) => run.after_done)),
    items_created: sum([...warmUp, ...runs].map((run) => run.affected)),
    warm_up: warmUp,
    runs,
  };
  fanout.ratio = ratio(fanout.connected_median_seconds, fanout.none_median_seconds);
  fanout.cpu_ratio = ratio(fanout.connected_median_cpu_seconds, fanout.none_median_cpu_seconds);
  fanout.delivered_share = ratio(fanout.deliveries, fanout.expected_deliveries);
  log(
    `    median ${fanout.connected_median_seconds?.toFixed(2)} s connected vs ${fanout.none_median_seconds?.toFixed(2)} s none: ${fanout.ratio?.toFixed(3)}x (workerd CPU ${fanout.cpu_ratio?.toFixed(3)}x); ${fanout.deliveries} of ${fanout.expected_deliveries} deliveries`,
  );
  return fanout;
}

/**
 * The channels' own storage (Miniflare keeps one SQLite file per Durable
 * Object), read after the Worker stopped: how many objects exist, whose
 * (their `meta` user), and how many item.created messages each logged. An
 * object exists only where something called it: a ticket, a connection or a
 * publish, so a channel of a participant who never connected would show here.
 */
export async function channelStorage(persistTo, connectedUserIds) {
  const root = path.join(persistTo, "v3", "do");
  const dirs = existsSync(root) ? readdirSync(root).filter((name) => name.endsWith("FeedChannel")) : [];
  const connected = new Set(connectedUserIds);
  const result = { directory: null, objects: 0, of_connected_users: 0, of_other_users: 0, unnamed: 0, item_created: 0 };
  for (const dir of dirs) {
    result.directory = path.join("v3", "do", dir);
    // One file per object, named by its id (metadata.sqlite holds the alarms).
    for (const file of readdirSync(path.join(root, dir)).filter((name) => /^[0-9a-f]{64}\.sqlite$/.test(name))) {
      const { user, itemCreated } = await readChannel(path.join(root, dir, file));
      result.objects++;
      if (user === undefined) result.unnamed++;
      else if (connected.has(Number(user))) result.of_connected_users++;
      else result.of_other_users++;
      result.item_created += itemCreated;
    }
  }
  return result;
}

/** One object's user and logged item.created messages; waits a little while workerd is still letting go of it. */
async function readChannel(file) {
  for (let attempt = 1; ; attempt++) {
    try {
      const db = openDatabase(file, { readOnly: true });
      try {
        return {
          user: db.prepare("SELECT value FROM meta WHERE key = 'user'").get()?.value,
          itemCreated: db
            .prepare("SELECT count(*) AS n FROM log WHERE json_extract(body, '$.type') = 'item.created'")
            .get().n,
        };
      } finally {
        db.close();
      }
    } catch (error) {
      if (!/locked|busy/i.test(error.message) || attempt >= 50) throw error;
      await sleep(200);
    }
  }
}
