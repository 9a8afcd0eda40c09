/**
 * Domain failures that callers can act on. The HTTP layer maps each to a
 * status and the original API's error body (src/http/problems.ts).
 */
export class InvalidPageError extends Error {
  override name = "InvalidPageError";
  constructor() {
    super("Invalid page.");
  }
}

export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** Input that passed the schema but is still unusable (e.g. a forged cursor). */
export class InvalidInputError extends Error {
  override name = "InvalidInputError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A retention run refused because another is still moving (src/retention/in-flight.ts). */
export class RetentionJobRunningError extends Error {
  override name = "RetentionJobRunningError";
  constructor(readonly running: readonly string[]) {
    super(
      `Retention job ${running.join(", ")} is still running; a second one would walk the same rows (and archive them twice). ` +
        `Follow it at GET /api/admin/jobs/{job_id}/ and start again once it is done; if it has stopped moving, ` +
        `POST /api/admin/jobs/{job_id}/resume/ sends its next steps again (after an hour without progress it no longer blocks).`,
    );
  }
}
