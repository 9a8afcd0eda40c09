import type { Config } from "../config";
import type { Env } from "../env";
import type { Logger } from "../platform/log";

/** What an authenticated request acts as. */
export interface Principal {
  readonly userId: number;
  readonly isStaff: boolean;
}

/** Hono's typing of this app: bindings plus per-request values. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    config: Config;
    principal: Principal;
    /** The logger of this request: its lines carry the request id. */
    log: Logger;
    /** A live channel ticket still to be redeemed by the user's channel (src/routes/live.ts). */
    ticket: string;
  };
}
