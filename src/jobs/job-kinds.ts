/** The kinds of chunked jobs (a leaf module: the queue contract names them too). */
export const JOB_KINDS = ["reminder", "populate", "retention"] as const;
export type JobKind = (typeof JOB_KINDS)[number];
