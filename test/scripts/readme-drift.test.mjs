// The README's maps of the code stay true as the code moves.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./run-script.mjs";

const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
const headings = new Set([...readme.matchAll(/^#{1,6} (.+)$/gm)].map(([, title]) => title.trim()));
// Bold run-in headings (`**Adding shards** means ...`) are sections too.
for (const [, title] of readme.matchAll(/^\*\*([^*]+)\*\*/gm)) headings.add(title.trim());

/** Files that may point readers at a README section, as `README "Section"`. */
function filesPointingAtReadme() {
  const files = ["wrangler.toml"];
  const walk = (dir) => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(relative);
      else if (/\.(ts|mjs)$/.test(entry.name)) files.push(relative);
    }
  };
  for (const dir of ["src", "scripts"]) walk(dir);
  return files;
}

describe("the README as a map", () => {
  it("its folder table names every top-level part of src/", () => {
    const table = readme.slice(readme.indexOf("| Folder"), readme.indexOf("### Sharding and ids"));
    const named = new Set([...table.matchAll(/`([^`]+)`/g)].map(([, name]) => name));
    for (const entry of readdirSync(path.join(ROOT, "src"), { withFileTypes: true })) {
      const name = `src/${entry.name}${entry.isDirectory() ? "/" : ""}`;
      expect(named.has(name), `${name} is missing from the README's folder table`).toBe(true);
    }
  });

  it('every README "Section" a file points to exists', () => {
    const pointers = filesPointingAtReadme().flatMap((file) =>
      [...readFileSync(path.join(ROOT, file), "utf8").matchAll(/README "([^"]+)"/g)].map(([, title]) => ({
        file,
        title,
      })),
    );
    expect(pointers.length).toBeGreaterThan(0);
    for (const { file, title } of pointers)
      expect(headings.has(title), `${file} points to README "${title}"`).toBe(true);
  });
});
