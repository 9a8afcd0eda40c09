import type { Config } from "../config";
import type { Env } from "../env";

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
  };
}
