// Output helpers: readable tables for people, JSON for scripts.

export function table(rows, columns) {
  if (rows.length === 0) return "(none)";
  const widths = columns.map((column) =>
    Math.max(column.title.length, ...rows.map((row) => String(column.value(row) ?? "").length)),
  );
  const line = (cells) =>
    cells
      .map((cell, index) =>
        columns[index].align === "right" ? cell.padStart(widths[index]) : cell.padEnd(widths[index]),
      )
      .join("  ")
      .trimEnd();
  return [
    line(columns.map((column) => column.title)),
    line(widths.map((width) => "-".repeat(width))),
    ...rows.map((row) => line(columns.map((column) => String(column.value(row) ?? "")))),
  ].join("\n");
}

export const number = (value) => (typeof value === "number" ? value.toLocaleString("en-US") : String(value ?? ""));

export const countsTable = (counts, keyTitle) =>
  table(
    Object.entries(counts ?? {}).sort(([a], [b]) => a.localeCompare(b)),
    [
      { title: keyTitle, value: ([key]) => key },
      { title: "items", value: ([, value]) => number(value), align: "right" },
    ],
  );

/** A progress line that rewrites itself on a terminal and prints now and then otherwise. */
export function progressReporter(stream = process.stderr) {
  let lastPrinted = 0;
  return {
    update(text) {
      if (stream.isTTY) {
        stream.write(`\r${text.padEnd(100)}`);
      } else if (Date.now() - lastPrinted > 2000) {
        stream.write(`${text}\n`);
        lastPrinted = Date.now();
      }
    },
    done() {
      if (stream.isTTY) stream.write("\n");
    },
  };
}
