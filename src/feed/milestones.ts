/**
 * Once-in-a-life milestones the feed announces by itself (the original's later
 * versions; its clients show them). Recorded per user in user_milestones, so
 * each comes once ever, whatever retention later deletes.
 */
export const FIRST_FAST_JOINED = {
  milestone: "first_fast_join",
  title: "Joined your first fast",
  description: "Joined your first fast",
} as const;
