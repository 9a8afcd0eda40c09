import type { z } from "zod";

/**
 * Validation messages in Django REST framework's words (its field classes'
 * `default_error_messages`), so a 400 reads as the original API's did. Installed
 * once as zod's error map (src/schemas/common.ts): no schema spells these; a
 * message a schema gives itself still wins.
 */

type Issue = z.core.$ZodRawIssue;

/** Python's name of a JSON value's type, as DRF puts it in messages (`type(data).__name__`). */
function pythonType(value: unknown): string {
  if (value === null) return "NoneType";
  if (Array.isArray(value)) return "list";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  return { string: "str", boolean: "bool", object: "dict" }[typeof value as string] ?? typeof value;
}

/** Whether the number schema that raised the issue takes integers only (`.int()`). */
function integerOnly(issue: Issue): boolean {
  const def = (issue.schema ?? issue.inst)?._zod.def as { checks?: z.core.$ZodCheck[] } | undefined;
  return (def?.checks ?? []).some((check) => /int/.test(String((check._zod.def as { format?: string }).format)));
}

function tooSmall(issue: Extract<Issue, { code: "too_small" }>): string {
  const minimum = Number(issue.minimum);
  switch (issue.origin) {
    case "string":
      return minimum <= 1 ? "This field may not be blank." : `Ensure this field has at least ${minimum} characters.`;
    case "array":
    case "set":
      return minimum <= 1 ? "This list may not be empty." : `Ensure this field has at least ${minimum} elements.`;
    default:
      if (issue.inclusive) return `Ensure this value is greater than or equal to ${minimum}.`;
      // DRF has only inclusive limits; for integers `> 0` is `>= 1`.
      return integerOnly(issue)
        ? `Ensure this value is greater than or equal to ${minimum + 1}.`
        : `Ensure this value is greater than ${minimum}.`;
  }
}

function tooBig(issue: Extract<Issue, { code: "too_big" }>): string {
  const maximum = Number(issue.maximum);
  switch (issue.origin) {
    case "string":
      return `Ensure this field has no more than ${maximum} characters.`;
    case "array":
    case "set":
      return `Ensure this field has no more than ${maximum} elements.`;
    default:
      if (issue.inclusive) return `Ensure this value is less than or equal to ${maximum}.`;
      return integerOnly(issue)
        ? `Ensure this value is less than or equal to ${maximum - 1}.`
        : `Ensure this value is less than ${maximum}.`;
  }
}

function invalidType(issue: Extract<Issue, { code: "invalid_type" }>): string {
  if (issue.input === undefined) return "This field is required.";
  // The body itself (no path) is not a field: `null` there is a non-dictionary.
  const body = issue.expected === "object" && (issue.path ?? []).length === 0;
  if (issue.input === null && !body) return "This field may not be null.";
  const type = pythonType(issue.input);
  switch (issue.expected) {
    case "int":
      return "A valid integer is required.";
    case "number":
      return integerOnly(issue) ? "A valid integer is required." : "A valid number is required.";
    case "string":
      return "Not a valid string.";
    case "boolean":
      return "Must be a valid boolean.";
    case "array":
      return `Expected a list of items but got type "${type}".`;
    case "record":
      return `Expected a dictionary of items but got type "${type}".`;
    case "object":
      return `Invalid data. Expected a dictionary, but got ${type}.`;
    default:
      return "Invalid value.";
  }
}

const notAChoice = (value: unknown) =>
  value === undefined ? "This field is required." : `"${String(value)}" is not a valid choice.`;

/** zod's error map: DRF's message for an issue zod raised without one of the schema's own. */
export function drfMessage(issue: Issue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      return invalidType(issue);
    case "too_small":
      return tooSmall(issue);
    case "too_big":
      return tooBig(issue);
    case "invalid_value":
      return notAChoice(issue.input);
    case "invalid_union": {
      // A discriminated union whose discriminator matched no option: the field is that key.
      const key = (issue as { discriminator?: string }).discriminator;
      if (key !== undefined && typeof issue.input === "object" && issue.input !== null)
        return notAChoice((issue.input as Record<string, unknown>)[key]);
      return "Invalid value.";
    }
    case "invalid_format":
      return "Enter a valid value.";
    case "unrecognized_keys":
      return undefined; // named per key by src/http/problems.ts
    default:
      return "Invalid value.";
  }
}
