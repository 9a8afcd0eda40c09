/**
 * Failures a caller can act on. Each knows the HTTP status it answers;
 * src/http/error-responses.ts renders them in the original API's shapes, so
 * a new kind of failure is one class here, not a new branch there.
 */
export abstract class ServiceError extends Error {
  abstract readonly status: 400 | 404 | 409 | 422 | 503;
  /** Seconds after which trying again may succeed (the answer's Retry-After). */
  readonly retryAfterSeconds?: number;
}

export class InvalidPageError extends ServiceError {
  override name = "InvalidPageError";
  readonly status = 404;
  constructor() {
    super("Invalid page.");
  }
}

export class NotFoundError extends ServiceError {
  override name = "NotFoundError";
  readonly status = 404;
}

/** Input that passed the schema but is still unusable (e.g. a forged cursor); answered as a field error. */
export class InvalidInputError extends ServiceError {
  override name = "InvalidInputError";
  readonly status = 400;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A retention run refused because another is still moving (src/retention/in-flight.ts). */
export class RetentionJobRunningError extends ServiceError {
  override name = "RetentionJobRunningError";
  readonly status = 409;
  constructor(readonly running: readonly string[]) {
    super(
      `Retention job ${running.join(", ")} is still running; a second one would walk the same rows (and archive them twice). ` +
        `Follow it at GET /api/admin/jobs/{job_id}/ and start again once it is done; if it has stopped moving, ` +
        `POST /api/admin/jobs/{job_id}/resume/ sends its next steps again (after an hour without progress it no longer blocks).`,
    );
  }
}

/**
 * A write for a user whose rows a reshard is copying right now, still going
 * on after the write waited for it (src/shards/router.ts). Nothing was
 * written; the same request succeeds once the copy is done, seconds later.
 */
export class UserMovingError extends ServiceError {
  override name = "UserMovingError";
  readonly status = 503;
  override readonly retryAfterSeconds = 2;
  constructor(readonly userIds: readonly number[]) {
    super("This feed is moving to another database for a moment; nothing was changed. Retry in a few seconds.");
  }
}

/** A reshard runs: a second one, and work that walks whole shards, wait for it (src/reshard/reshard.ts). */
export class ReshardRunningError extends ServiceError {
  override name = "ReshardRunningError";
  readonly status = 409;
  constructor(
    readonly jobId: string,
    readonly from: number,
    readonly to: number,
    what: string,
  ) {
    super(
      `A reshard from ${from} to ${to} shards (job ${jobId}) is moving users; ${what} waits until it is done. ` +
        `Follow it at GET /api/admin/jobs/${jobId}/.`,
    );
  }
}

/** A reshard refused because jobs that walk whole shards are still under way. */
export class JobsRunningError extends ServiceError {
  override name = "JobsRunningError";
  readonly status = 409;
  constructor(readonly running: readonly string[]) {
    super(
      `Job ${running.join(", ")} is still running over every shard; a reshard moving users under it could make it ` +
        `miss or strand rows. Start the reshard once it is done (GET /api/admin/jobs/{job_id}/).`,
    );
  }
}
