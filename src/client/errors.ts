import type { ValidationErrors } from "./types";

/** An error body as one line: DRF's `{"detail": ...}` or `{"field": ["message"]}`, else the body itself. */
function describe(body: unknown): string {
  if (typeof body === "string") return body;
  if (isDetail(body)) return body.detail;
  if (isValidationErrors(body))
    return Object.entries(body)
      .map(([field, messages]) =>
        field === "non_field_errors" ? messages.join(" ") : `${field}: ${messages.join(" ")}`,
      )
      .join("; ");
  return JSON.stringify(body);
}

const isDetail = (body: unknown): body is { detail: string } =>
  typeof body === "object" && body !== null && typeof (body as { detail?: unknown }).detail === "string";

const isValidationErrors = (body: unknown): body is ValidationErrors =>
  typeof body === "object" &&
  body !== null &&
  !Array.isArray(body) &&
  Object.values(body).every((messages) => Array.isArray(messages) && messages.every((m) => typeof m === "string"));

/**
 * A request the API refused or that never got an answer. `status` is the
 * HTTP status, or 0 when the service could not be reached (`cause` says why).
 * `detail` is DRF's `{"detail"}` message; `fieldErrors` a 400's messages per field.
 */
export class FeedApiError extends Error {
  override readonly name = "FeedApiError";
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown, options?: { cause?: unknown }) {
    super(status === 0 ? describe(body) : `HTTP ${status}: ${describe(body)}`, options);
    this.status = status;
    this.body = body;
  }

  get detail(): string | undefined {
    return isDetail(this.body) ? this.body.detail : undefined;
  }

  get fieldErrors(): ValidationErrors | undefined {
    return this.status === 400 && !isDetail(this.body) && isValidationErrors(this.body) ? this.body : undefined;
  }
}
