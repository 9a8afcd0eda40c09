// The README's runnable examples, read from its code blocks, in order:
//  - ```sh blocks: commands (curl, npm run feed/seed/token, VAR=$(...)); a
//    comment line right after a command that starts with `{`, `[` or a status
//    (`# 201 {...}`) is that command's output; a ```json block right after the
//    sh block is the output of its last command;
//  - plain ``` blocks with `$ ` lines: each `$ command` and the text it prints.
// Shell syntax is read as far as the README uses it: quotes (across lines),
// backslash-newline, $VAR, $(...), and # comments.

/** Splits shell text into commands (lists of words) and comment lines. */
export function parseShell(text, firstLine = 1) {
  const entries = [];
  let words = [];
  let word = null; // parts: { literal } | { variable } | { subcommand }
  let line = firstLine;
  let commandLine = firstLine;
  const push = (part) => {
    word ??= [];
    const last = word.at(-1);
    if (part.literal !== undefined && last?.literal !== undefined) last.literal += part.literal;
    else word.push(part);
  };
  const endWord = () => {
    if (word) words.push(word);
    word = null;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) entries.push({ type: "command", words, line: commandLine });
    words = [];
  };
  const readVariable = (index) => {
    const name = /^[A-Za-z_]\w*/.exec(text.slice(index))?.[0];
    return name ? { part: { variable: name }, next: index + name.length } : undefined;
  };
  const readSubcommand = (index) => {
    let depth = 1;
    let end = index;
    while (depth > 0) {
      end++;
      if (text[end] === "(") depth++;
      if (text[end] === ")") depth--;
    }
    return { part: { subcommand: text.slice(index + 1, end) }, next: end + 1 };
  };
  let quote = null;
  for (let index = 0; index < text.length; ) {
    const char = text[index];
    if (char === "\n") line++;
    if (quote === "'") {
      if (char === "'") quote = null;
      else push({ literal: char });
      index++;
      continue;
    }
    if (char === "$" && text[index + 1] === "(") {
      const { part, next } = readSubcommand(index + 1);
      push(part);
      index = next;
      continue;
    }
    if (char === "$" && readVariable(index + 1)) {
      const { part, next } = readVariable(index + 1);
      push(part);
      index = next;
      continue;
    }
    if (quote === '"') {
      if (char === '"') quote = null;
      else if (char === "\\" && /["\\$]/.test(text[index + 1])) push({ literal: text[++index] });
      else push({ literal: char });
      index++;
      continue;
    }
    if (char === "\\" && text[index + 1] === "\n") {
      index += 2;
      line++;
      continue;
    }
    if (char === "\n") {
      endCommand();
      commandLine = line;
      index++;
      continue;
    }
    if (char === " " || char === "\t") {
      endWord();
      index++;
      continue;
    }
    if (char === "#" && word === null) {
      const end = text.indexOf("\n", index);
      const comment = text.slice(index + 1, end === -1 ? undefined : end).trim();
      if (words.length === 0) entries.push({ type: "comment", text: comment, line });
      index = end === -1 ? text.length : end;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      word ??= [];
      index++;
      continue;
    }
    push({ literal: char });
    index++;
  }
  endCommand();
  return entries;
}

const OUTPUT_COMMENT = /^(?:(\d{3}) )?([{[].*)$/s;

/** The README's examples: `{ command, line, expected? }`, expected `{ json, status? }` or `{ text }`. */
export function readmeExamples(markdown) {
  const examples = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  let lastShellBlockEnd = -1;
  for (let match = fence.exec(markdown); match; match = fence.exec(markdown)) {
    const [, lang, body] = match;
    const line = markdown.slice(0, match.index).split("\n").length + 1;
    if (lang === "sh") {
      let previous;
      for (const entry of parseShell(body, line)) {
        if (entry.type === "command") {
          previous = { command: entry.words, line: entry.line };
          examples.push(previous);
        } else if (previous && !previous.expected && OUTPUT_COMMENT.test(entry.text)) {
          const [, status, json] = OUTPUT_COMMENT.exec(entry.text);
          previous.expected = { json: JSON.parse(json), ...(status ? { status: Number(status) } : {}) };
        }
      }
      lastShellBlockEnd = match.index + match[0].length;
    } else if (lang === "json" && markdown.slice(lastShellBlockEnd, match.index).trim() === "") {
      examples.at(-1).expected = { json: JSON.parse(body) };
    } else if (lang === "" && /^\$ /m.test(body)) {
      const lines = body.replace(/\n$/, "").split("\n");
      lines.forEach((text, index) => {
        if (!text.startsWith("$ ")) return;
        const next = lines.findIndex((later, laterIndex) => laterIndex > index && later.startsWith("$ "));
        const output = lines.slice(index + 1, next === -1 ? undefined : next);
        while (output.at(-1) === "") output.pop();
        const [entry] = parseShell(text.slice(2), line + index);
        examples.push({ command: entry.words, line: line + index, expected: { text: output.join("\n") } });
      });
    }
  }
  return examples;
}

/**
 * Whether `actual` is what the README prints: equal JSON, except that a
 * README string ending in "..." stands for any string it starts.
 */
export function matchesPrinted(expected, actual) {
  if (typeof expected === "string" && expected.endsWith("..."))
    return typeof actual === "string" && actual.startsWith(expected.slice(0, -3));
  if (Array.isArray(expected))
    return (
      Array.isArray(actual) &&
      expected.length === actual.length &&
      expected.every((item, index) => matchesPrinted(item, actual[index]))
    );
  if (expected && typeof expected === "object") {
    if (!actual || typeof actual !== "object" || Array.isArray(actual)) return false;
    const keys = Object.keys(expected);
    return (
      keys.length === Object.keys(actual).length &&
      keys.every((key) => Object.hasOwn(actual, key) && matchesPrinted(expected[key], actual[key]))
    );
  }
  return Object.is(expected, actual);
}

/** Job and run ids (`retention-mwwfldni-dc895dc2`) differ on every run. */
export const JOB_ID = /\b[a-z]+-[a-z0-9]{6,}-[0-9a-f]{8}\b/g;
