// Sizes and durations of the two modes. Quick keeps every comparison (the
// 100-item user against a big one, page 500 against page 1, ...) on less data
// and shorter runs; full uses the sizes.

export const MODES = {
  quick: {
    name: "quick",
    regularUsers: 2_000,
    historySizes: [100, 100_000],
    markReadUsers: 3,
    markReadItems: 10_000,
    expiredRows: 100_000, // rows past retention in total (the base data's own included)
    archiveRows: 20_000, // rows older than every retention, for the archive run
    connections: 10,
    seconds: 1,
    repeats: 3,
    warmupRequests: 20,
    randomUsers: 200,
    d1SampleUsers: 20, // users whose first page the D1 meter reads, one request each
    ingest: { rounds: 2, events: 5_000 },
    jobSeconds: { archive: 5, cleanup: 6 },
    rawRetentionPasses: { archive: 1, cleanup: 1 },
    archiveRuns: 1,
    // The live channel (scenarios/live.mjs): participants of each of the two fasts, open
    // WebSockets (1% of the first fast's participants), opened `openBatch` at a time;
    // timed deliveries; fan-out runs per condition after an untimed one each (full
    // mode: a job takes about 20 s, so 3 + 1 of each is about 3 minutes).
    live: { participants: 10_000, connections: 100, openBatch: 50, deliveries: 100, fanoutRuns: 3 },
  },
  full: {
    name: "full",
    regularUsers: 10_000,
    historySizes: [100, 10_000, 100_000],
    markReadUsers: 5,
    markReadItems: 10_000,
    expiredRows: 1_000_000,
    archiveRows: 200_000,
    connections: 10,
    seconds: 4,
    repeats: 5,
    warmupRequests: 50,
    randomUsers: 1_000,
    d1SampleUsers: 100,
    ingest: { rounds: 3, events: 20_000 },
    jobSeconds: { archive: 60, cleanup: 120 },
    // Passes of the raw DELETE baselines (odd: the median is one pass), and runs of the archive
    // job from the same copied state: both move from run to run (bench/README.md). Archive sits
    // near its target, so it is measured three times; cleanup, whose target has room, once
    // each (a raw pass and a job take minutes), which keeps a full run under 15 minutes.
    rawRetentionPasses: { archive: 3, cleanup: 1 },
    archiveRuns: 3,
    live: { participants: 100_000, connections: 1_000, openBatch: 50, deliveries: 500, fanoutRuns: 3 },
  },
};

export const BENCH_PORT = 8799;
/** Only for this local server; never a real secret. */
export const BENCH_JWT_SECRET = "bench-only-secret-not-for-production-0001";
export const STAFF_USER_ID = 999_999;
/** Archive runs take rows older than this; no retention is that long. */
export const ARCHIVE_OLDER_THAN_DAYS = 400;
/** Depth scenario: the page reached by walking the cursor chain. */
export const DEPTH_PAGE = 500;
