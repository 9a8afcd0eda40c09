// The history-size plot: p50 and p99 latency of the first page and the
// summary against how many items the user has, with the runtime floor for
// scale. Drawn as SVG (readable anywhere, diffable) and rendered to PNG with
// sharp; a machine where sharp does not load still gets the SVG.
import { writeFileSync } from "node:fs";
import path from "node:path";

const WIDTH = 760;
const HEIGHT = 440;
const MARGIN = { top: 56, right: 200, bottom: 56, left: 64 };
const FONT = `font-family="DejaVu Sans, Helvetica, Arial, sans-serif"`;

const SERIES = [
  { key: "first_page", label: "first page", colour: "#1f77b4" },
  { key: "summary", label: "summary", colour: "#d62728" },
];

const escapeXml = (text) => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const text = (x, y, content, attributes = "", size = 12) =>
  `<text x="${x}" y="${y}" ${FONT} font-size="${size}" ${attributes}>${escapeXml(content)}</text>`;

/** A round upper bound for the y axis and its tick step. */
function niceScale(max) {
  const step = [5, 10, 20, 25, 50, 100, 200, 250, 500].find((candidate) => max / candidate <= 8) ?? 1000;
  return { top: Math.ceil(max / step) * step, step };
}

/** SVG of latency against history size, or null when the reads were not measured. */
export function historyPlotSvg(reads, settings) {
  const measurements = reads?.measurements;
  const sizes = settings.historySizes;
  if (!measurements || sizes.length < 2) return null;
  const at = (series, size) => measurements[`${series}_${size}`];
  const floor = measurements.floor;
  const values = SERIES.flatMap((series) =>
    sizes.flatMap((size) => [
      at(series.key, size)?.p99_ms,
      ...(at(series.key, size)?.per_run ?? []).map((run) => run.p50_ms),
    ]),
  );
  const { top, step } = niceScale(Math.max(...values.filter(Number.isFinite), floor?.p99_ms ?? 0) * 1.05);

  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const logMin = Math.log10(sizes[0]);
  const logMax = Math.log10(sizes.at(-1));
  const x = (size) => MARGIN.left + ((Math.log10(size) - logMin) / (logMax - logMin)) * plotWidth;
  const y = (ms) => MARGIN.top + plotHeight - (ms / top) * plotHeight;

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    text(MARGIN.left, 24, "Latency against history size", `font-weight="bold"`, 16),
    text(
      MARGIN.left,
      42,
      `autocannon, ${settings.connections} connections; lines: medians of ${settings.repeats} runs of ${settings.seconds} s; dots: each run's p50`,
      `fill="#555"`,
    ),
  ];
  for (let ms = 0; ms <= top; ms += step) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(ms)}" y2="${y(ms)}" stroke="#e5e5e5"/>`,
    );
    parts.push(text(MARGIN.left - 8, y(ms) + 4, ms, `text-anchor="end"`));
  }
  for (const size of sizes) {
    parts.push(
      `<line x1="${x(size)}" x2="${x(size)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#e5e5e5"/>`,
    );
    parts.push(text(x(size), MARGIN.top + plotHeight + 18, size.toLocaleString("en"), `text-anchor="middle"`));
  }
  parts.push(
    text(MARGIN.left + plotWidth / 2, HEIGHT - 12, "items in the user's history (log scale)", `text-anchor="middle"`),
  );
  parts.push(
    text(
      16,
      MARGIN.top + plotHeight / 2,
      "latency, ms",
      `text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + plotHeight / 2})"`,
    ),
  );
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
  );

  const legend = [];
  if (floor) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(floor.p50_ms)}" y2="${y(floor.p50_ms)}" stroke="#777" stroke-dasharray="2 4" stroke-width="1.5"/>`,
    );
    legend.push({ label: "floor p50 (/health)", colour: "#777", dash: "2 4" });
  }
  for (const series of SERIES) {
    for (const [stat, dash] of [
      ["p50_ms", ""],
      ["p99_ms", "6 4"],
    ]) {
      // A size without a measurement is left out rather than drawn at 0 ms.
      const points = sizes
        .filter((size) => Number.isFinite(at(series.key, size)?.[stat]))
        .map((size) => [x(size), y(at(series.key, size)[stat])]);
      parts.push(
        `<polyline points="${points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" ")}" fill="none" stroke="${series.colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`,
      );
      for (const [px, py] of points)
        parts.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3.5" fill="${series.colour}"/>`);
      legend.push({ label: `${series.label} ${stat.replace("_ms", "")}`, colour: series.colour, dash });
    }
    for (const size of sizes) {
      for (const run of at(series.key, size)?.per_run ?? []) {
        parts.push(
          `<circle cx="${(x(size) + (series.key === "summary" ? 6 : -6)).toFixed(1)}" cy="${y(run.p50_ms).toFixed(1)}" r="2" fill="none" stroke="${series.colour}"/>`,
        );
      }
    }
  }
  legend.forEach((entry, index) => {
    const ly = MARGIN.top + 12 + index * 22;
    const lx = MARGIN.left + plotWidth + 16;
    parts.push(
      `<line x1="${lx}" x2="${lx + 28}" y1="${ly}" y2="${ly}" stroke="${entry.colour}" stroke-width="2"${entry.dash ? ` stroke-dasharray="${entry.dash}"` : ""}/>`,
    );
    parts.push(text(lx + 36, ly + 4, entry.label));
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

/**
 * Writes latest-history.svg and, when sharp loads, latest-history.png into
 * `dir`. Returns the files written and, if there is no PNG, why.
 */
export async function writeHistoryPlot(reads, settings, dir) {
  const svg = historyPlotSvg(reads, settings);
  if (!svg) return { files: [] };
  const svgFile = path.join(dir, "latest-history.svg");
  writeFileSync(svgFile, svg);
  const pngFile = path.join(dir, "latest-history.png");
  try {
    const { default: sharp } = await import("sharp");
    await sharp(Buffer.from(svg), { density: 144 }).png().toFile(pngFile);
    return { files: [svgFile, pngFile], png: path.basename(pngFile) };
  } catch (error) {
    return {
      files: [svgFile],
      svg: path.basename(svgFile),
      noPng: `sharp could not render the PNG: ${String(error.message ?? error).split("\n")[0]}`,
    };
  }
}
