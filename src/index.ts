import { createApp } from "./app";
import type { Env } from "./env";

/** Wires the Worker's entry points; each lives in its own module. */
const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
