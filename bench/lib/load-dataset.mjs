// Phase 0: the whole dataset of a run, written into the shard files before the
// Worker starts. Sizes come from the mode (lib/modes.mjs).
import {
  countExpired,
  HISTORY_USER_BASE,
  historyUser,
  LIVE_FASTS,
  LIVE_USER_BASE,
  MARK_READ_USER_BASE,
  oldRows,
  regularUsers,
  retentionDays,
  ShardWriter,
} from "./dataset.mjs";
import { ARCHIVE_OLDER_THAN_DAYS } from "./modes.mjs";

const sum = (values) => values.reduce((total, value) => total + value, 0);

export function markReadUserIds(mode) {
  return Array.from({ length: mode.markReadUsers }, (_, index) => MARK_READ_USER_BASE + index + 1);
}

export function loadDataset({ shardFiles, mode, now, log }) {
  const started = Date.now();
  const counts = {};
  const step = (name, work) => {
    const before = Date.now();
    const writer = new ShardWriter(shardFiles);
    work(writer);
    writer.close();
    counts[name] = writer.written;
    log(`  ${name}: ${writer.written.toLocaleString("en")} items in ${((Date.now() - before) / 1000).toFixed(1)} s`);
  };

  step(`${mode.regularUsers.toLocaleString("en")} regular users, a year of history`, (writer) =>
    writer.addAll(regularUsers({ count: mode.regularUsers, now })),
  );
  step(`history users (${mode.historySizes.join(", ")} items)`, (writer) => {
    for (const size of mode.historySizes)
      writer.addAll(historyUser({ userId: HISTORY_USER_BASE + size, items: size, now }));
  });
  step(`${mode.markReadUsers} users with ${mode.markReadItems.toLocaleString("en")} unread items`, (writer) => {
    for (const userId of markReadUserIds(mode))
      writer.addAll(historyUser({ userId, items: mode.markReadItems, now, unread: true }));
  });

  // Retention's backlog: the history above already holds expired rows; top it up
  // to mode.expiredRows, the oldest of them (past every retention) for archiving.
  const expiredSoFar = sum(Object.values(countExpired(shardFiles, now)));
  const topUp = Math.max(0, mode.expiredRows - expiredSoFar - mode.archiveRows);
  step(`expired rows (on top of ${expiredSoFar.toLocaleString("en")} already past retention)`, (writer) => {
    writer.addAll(
      oldRows({
        count: topUp,
        users: mode.regularUsers,
        now,
        seed: 11,
        minAgeDays: (type) => retentionDays(type) + 2,
        maxAgeDays: ARCHIVE_OLDER_THAN_DAYS - 2,
        readShare: 0.7,
      }),
    );
    writer.addAll(
      oldRows({
        count: mode.archiveRows,
        users: mode.regularUsers,
        now,
        seed: 12,
        minAgeDays: () => ARCHIVE_OLDER_THAN_DAYS + 1,
        maxAgeDays: 730,
        readShare: 0.8,
      }),
    );
  });

  const expired = countExpired(shardFiles, now);
  const archivable = sum(Object.values(countExpired(shardFiles, now, () => ARCHIVE_OLDER_THAN_DAYS)));
  return {
    seconds: (Date.now() - started) / 1000,
    items_written: counts,
    expired_rows: sum(Object.values(expired)),
    expired_per_type: expired,
    archivable_rows: archivable,
  };
}

/**
 * The live scenario's users (mode.live): the participants of two fasts,
 * `participants` each; the 1% of the first fast's who connect (every
 * hundredth user id, so spread over the shards and over each shard's
 * chunks), and their counterparts in the second fast (the same positions).
 */
export function liveUsers(mode) {
  const { participants, connections } = mode.live;
  const every = Math.floor(participants / connections);
  const range = (from, count) => Array.from({ length: count }, (_, index) => from + index);
  const connected = range(1, connections).map((index) => LIVE_USER_BASE + index * every);
  return {
    fasts: [
      { fastId: LIVE_FASTS.connected, userIds: range(LIVE_USER_BASE + 1, participants) },
      { fastId: LIVE_FASTS.none, userIds: range(LIVE_USER_BASE + participants + 1, participants) },
    ],
    connected,
    counterparts: connected.map((userId) => userId + participants),
  };
}

/**
 * Writes the live scenario's participants into the shard files (the Worker
 * stopped), each on the shard of its user; written again, they stay as they are.
 */
export function loadLiveParticipants({ shardFiles, mode, now, log }) {
  const started = Date.now();
  const writer = new ShardWriter(shardFiles);
  for (const { fastId, userIds } of liveUsers(mode).fasts)
    for (const userId of userIds)
      writer.addParticipant({ fastId, userId, fastName: `Live fast ${fastId}`, changedAt: now });
  writer.close();
  log(
    `  live scenario: ${writer.participants.toLocaleString("en")} participants of two fasts in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return writer.participants;
}
