/** Builds dist/client and dist/assets (scripts/build.mjs). */
export function buildAll(): Promise<void>;
