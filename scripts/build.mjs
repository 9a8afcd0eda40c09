#!/usr/bin/env node
// `npm run build`: what Node imports and what the Worker serves, with esbuild
// (wrangler's own bundler). npm install (prepare), npm run dev and npm test run
// it; it takes about a second.
//   dist/client/index.js   the typed client (src/client) as one ES module: `activity-feed/client`
//   dist/assets/           Workers Static Assets ([assets] in wrangler.toml, src/routes/pages.ts):
//     embed/activity-feed-inbox.js   the <activity-feed-inbox> element (web/inbox), the client inside
//     inbox/                         its demo page (web/pages/inbox)
//     docs/                          the API reference of /openapi.json (web/pages/docs, swagger-ui-dist)
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { ROOT } from "./lib/project.mjs";

const at = (...parts) => path.join(ROOT, ...parts);
const ASSETS = at("dist", "assets");

/** Files copied as they are: the pages' HTML, and Swagger UI's prebuilt bundle. */
const COPIES = [
  [at("web", "pages", "inbox", "index.html"), "inbox/index.html"],
  [at("web", "pages", "docs", "index.html"), "docs/index.html"],
  [at("node_modules", "swagger-ui-dist", "swagger-ui-bundle.js"), "docs/swagger-ui-bundle.js"],
  [at("node_modules", "swagger-ui-dist", "swagger-ui.css"), "docs/swagger-ui.css"],
];

export async function buildAll() {
  rmSync(ASSETS, { recursive: true, force: true });
  const common = { bundle: true, format: "esm", target: "es2022", legalComments: "none", logLevel: "warning" };
  await Promise.all([
    build({
      ...common,
      entryPoints: [at("src", "client", "index.ts")],
      outfile: at("dist", "client", "index.js"),
      platform: "neutral",
    }),
    build({
      ...common,
      entryPoints: {
        "embed/activity-feed-inbox": at("web", "inbox", "activity-feed-inbox.ts"),
        "inbox/demo": at("web", "pages", "inbox", "demo.ts"),
        "docs/reference": at("web", "pages", "docs", "reference.ts"),
      },
      outdir: ASSETS,
      platform: "browser",
      // The element puts its stylesheet in its shadow root.
      loader: { ".css": "text" },
      minify: true,
      sourcemap: "linked",
    }),
  ]);
  for (const [from, to] of COPIES) {
    mkdirSync(path.dirname(path.join(ASSETS, to)), { recursive: true });
    copyFileSync(from, path.join(ASSETS, to));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await buildAll();
