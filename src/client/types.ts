import type { z } from "zod";
import type {
  GenerateRequestSchema,
  GenerateResponseSchema,
  JobListSchema,
  JobSchema,
  PopulateRequestSchema,
  PopulateResponseSchema,
  ReshardRequestSchema,
  ReshardResponseSchema,
  ResumedJobSchema,
} from "../schemas/admin";
import type { ActivityTypeSchema, ValidationErrorSchema } from "../schemas/common";
import type { EventSchema, IngestQueuedSchema, IngestResponseSchema } from "../schemas/events";
import type {
  FeedItemSchema,
  FeedPageSchema,
  FeedQuerySchema,
  FeedSummarySchema,
  ItemActionResponseSchema,
  MarkReadBodySchema,
  PreferencesSchema,
  UnreadCountSchema,
} from "../schemas/feed";
import type { LiveCountsSchema, LiveMessageSchema, LiveTicketSchema } from "../schemas/live";
import type { HealthSchema } from "../schemas/meta";
import type { ReminderRequestSchema, ReminderResponseSchema } from "../schemas/reminders";
import type {
  ArchiveListQuerySchema,
  ArchiveListSchema,
  ArchiveOptionsSchema,
  CleanupOptionsSchema,
  DeploymentStatsSchema,
  RestoreResponseSchema,
  RetentionRunSchema,
  UserFeedStatsSchema,
} from "../schemas/retention";

/**
 * The API's shapes as the client sees them: inferred from the zod schemas
 * that validate requests and generate /openapi.json (src/schemas), never
 * written out again. Type-only imports: nothing of the Worker is bundled.
 */

export type ActivityType = z.output<typeof ActivityTypeSchema>;
export type FeedItem = z.output<typeof FeedItemSchema>;
export type FeedPage = z.output<typeof FeedPageSchema>;
export type FeedSummary = z.output<typeof FeedSummarySchema>;
export type UnreadCount = z.output<typeof UnreadCountSchema>;
export type ItemActionResult = z.output<typeof ItemActionResponseSchema>;
export type Preferences = z.output<typeof PreferencesSchema>;
export type LiveTicket = z.output<typeof LiveTicketSchema>;
export type LiveCounts = z.output<typeof LiveCountsSchema>;
export type LiveMessage = z.output<typeof LiveMessageSchema>;
/** A 400's body: field (dotted path, or `non_field_errors`) to its messages. */
export type ValidationErrors = z.output<typeof ValidationErrorSchema>;

/** The query of GET /api/events/activity-feed/ as it travels: text. */
type FeedQuery = z.input<typeof FeedQuerySchema>;
type TypedParameters = "activity_type" | "is_read" | "is_seen" | "page_size" | "start_date" | "end_date";

/** list()'s filters: the listing's query parameters, typed where the wire carries text. */
export type ListFilters = Omit<FeedQuery, TypedParameters> & {
  activity_type?: ActivityType | readonly ActivityType[];
  is_read?: boolean;
  is_seen?: boolean;
  page_size?: number;
  start_date?: string | Date;
  end_date?: string | Date;
};

/** A bulk action's body on the wire (mark-read, mark-seen, archive). */
export type BulkActionBody = z.input<typeof MarkReadBodySchema>;

/**
 * Which items an action changes: some ids, or every inbox item (`all`),
 * optionally only those created at or before `before` (send the time the
 * inbox was loaded) and of some types.
 */
export type ItemSelection =
  | readonly number[]
  | { readonly all: true; readonly before?: string | Date; readonly activityTypes?: readonly ActivityType[] };

/** The badge's counts, and the inbox's size when the live channel tells it. */
export type BadgeCounts = UnreadCount & Partial<Pick<LiveCounts, "total_items">>;

// Staff endpoints (internal producers and administration), for createStaffClient.

/** One event as a producer sends it. */
export type EventRequest = z.input<typeof EventSchema>;
export type IngestResult = z.output<typeof IngestResponseSchema>;
export type IngestQueued = z.output<typeof IngestQueuedSchema>;
export type ReminderRequest = z.input<typeof ReminderRequestSchema>;
export type ReminderResult = z.output<typeof ReminderResponseSchema>;
export type CleanupOptions = z.input<typeof CleanupOptionsSchema>;
export type ArchiveOptions = z.input<typeof ArchiveOptionsSchema>;
export type RetentionRun = z.output<typeof RetentionRunSchema>;
export type RestoreResult = z.output<typeof RestoreResponseSchema>;
export type ArchiveListQuery = z.input<typeof ArchiveListQuerySchema>;
export type ArchiveList = z.output<typeof ArchiveListSchema>;
export type DeploymentStats = z.output<typeof DeploymentStatsSchema>;
export type UserFeedStats = z.output<typeof UserFeedStatsSchema>;
export type PopulateRequest = z.input<typeof PopulateRequestSchema>;
export type PopulateResult = z.output<typeof PopulateResponseSchema>;
export type GenerateRequest = z.input<typeof GenerateRequestSchema>;
export type GenerateResult = z.output<typeof GenerateResponseSchema>;
export type Job = z.output<typeof JobSchema>;
export type JobList = z.output<typeof JobListSchema>;
export type ResumedJob = z.output<typeof ResumedJobSchema>;
export type Health = z.output<typeof HealthSchema>;
export type ReshardRequest = z.input<typeof ReshardRequestSchema>;
export type ReshardStarted = z.output<typeof ReshardResponseSchema>;
