import { createTransport, queryString, type TransportOptions } from "./transport";
import type {
  ArchiveList,
  ArchiveListQuery,
  ArchiveOptions,
  CleanupOptions,
  DeploymentStats,
  EventRequest,
  GenerateRequest,
  GenerateResult,
  Health,
  IngestQueued,
  IngestResult,
  Job,
  JobList,
  PopulateRequest,
  PopulateResult,
  ReminderRequest,
  ReminderResult,
  ReshardRequest,
  ReshardStarted,
  RestoreResult,
  ResumedJob,
  RetentionRun,
  UserFeedStats,
} from "./types";

/** A producer's request that may be retried carries a key of its own: the same key, the same request. */
export interface KeyedRequest {
  readonly idempotencyKey?: string;
}

/** The staff endpoints: producers (internal) and administration. Needs a staff token. */
export interface StaffClient {
  /** Creates items from events: 201 with the items, or 202 when the deployment queues them. */
  ingest(events: EventRequest | readonly EventRequest[], options?: KeyedRequest): Promise<IngestResult | IngestQueued>;
  reminders(request: ReminderRequest, options?: KeyedRequest): Promise<ReminderResult>;
  cleanup(options?: CleanupOptions): Promise<RetentionRun>;
  archive(options?: ArchiveOptions): Promise<RetentionRun>;
  restore(key: string): Promise<RestoreResult>;
  archives(query?: ArchiveListQuery): Promise<ArchiveList>;
  stats(): Promise<DeploymentStats>;
  userStats(userId: number): Promise<UserFeedStats>;
  populate(request?: PopulateRequest): Promise<PopulateResult>;
  generate(request: GenerateRequest): Promise<GenerateResult>;
  /** Grows the deployment to more shards online (202 with the job; the same job while it runs). */
  reshard(request: ReshardRequest): Promise<ReshardStarted>;
  readonly jobs: {
    list(options?: { limit?: number }): Promise<JobList>;
    get(jobId: string): Promise<Job>;
    resume(jobId: string): Promise<ResumedJob>;
  };
  /** GET /health: the Worker runs and its configuration is valid (needs no token). */
  health(): Promise<Health>;
}

/**
 * A client of the staff endpoints, as the operator CLI and producers use them.
 * A module of its own, so that an app importing only createFeedClient bundles none of it.
 */
export function createStaffClient(options: TransportOptions): StaffClient {
  const transport = createTransport(options);
  const get = async <T>(path: string) => (await transport.request<T>("GET", path)).body;
  const post = async <T>(path: string, body: unknown = {}, headers: Record<string, string> = {}) =>
    (await transport.request<T>("POST", path, { body, headers })).body;
  const keyed = (request: KeyedRequest = {}): Record<string, string> =>
    request.idempotencyKey === undefined ? {} : { "Idempotency-Key": request.idempotencyKey };
  const job = (jobId: string) => `/api/admin/jobs/${encodeURIComponent(jobId)}/`;

  return {
    ingest: (events, request) =>
      post("/api/internal/events/", Array.isArray(events) ? { events } : events, keyed(request)),
    reminders: (reminder, request) => post("/api/internal/reminders/", reminder, keyed(request)),
    cleanup: (cleanup = {}) => post("/api/admin/cleanup/", cleanup),
    archive: (archive = {}) => post("/api/admin/archive/", archive),
    restore: (key) => post("/api/admin/archive/restore/", { key }),
    archives: (query = {}) => get(`/api/admin/archives/${queryString(query)}`),
    stats: () => get("/api/admin/stats/"),
    userStats: (userId) => get(`/api/admin/stats/${queryString({ user_id: userId })}`),
    populate: (populate = {}) => post("/api/admin/populate/", populate),
    generate: (generate) => post("/api/events/activity-feed/generate/", generate),
    reshard: (reshard) => post("/api/admin/reshard/", reshard),
    jobs: {
      list: (query = {}) => get(`/api/admin/jobs/${queryString(query)}`),
      get: (jobId) => get(job(jobId)),
      resume: (jobId) => post(`${job(jobId)}resume/`),
    },
    health: () => get("/health"),
  };
}
