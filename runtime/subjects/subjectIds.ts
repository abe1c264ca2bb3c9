// The rules for what a customer ID is, shared by every reader of IDs (ID files, JSON ID lists, the
// workflow's intake) and by the engines that compare them with stored values. An ID is exactly the text
// that was given: nothing is trimmed or case-folded. An ID for an integer column must be the integer's
// canonical decimal text, so that comparing texts is comparing integers, at any size.

/**
 * A key as one text, wherever keys are compared, de-duplicated, hashed or registered: a one-part key is
 * its ID, a composite key the JSON array of its parts. Parts may hold any character, so no separator
 * joins them: ["a\u001fb", "c"] and ["a", "b\u001fc"] stay two keys.
 */
export function keyText(parts: readonly string[]): string {
  return parts.length === 1 ? parts[0] : JSON.stringify(parts);
}

/** The IDs given cannot be used; `problems` has one entry per bad ID, naming its position. */
export class SubjectIdError extends Error {
  constructor(readonly problems: string[]) {
    super(summarise(problems));
    this.name = "SubjectIdError";
  }
}

/** What a key column holds: integer columns take only canonical integers. */
export type IdColumnKind = "string" | "integer";

/** Problems listed in full in an error message; the rest are counted. */
const LISTED_PROBLEMS = 20;

function summarise(problems: string[]): string {
  const shown = problems.slice(0, LISTED_PROBLEMS).join("; ");
  const more = problems.length - LISTED_PROBLEMS;
  return more > 0 ? `${shown}; and ${more} more` : shown;
}

/**
 * An ID file: one ID per line, the parts of a composite key separated by tabs. Only the line ending
 * (`\n` or `\r\n`) is removed. A blank line is an error, and so is a line with more tabs than the key
 * has columns: a tab cannot be part of an ID in a text file (a JSON ID list can hold any character).
 */
export function parseIdLines(text: string, columns = 1): string[][] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop(); // the final line ending ends a line, it starts none
  const problems: string[] = [];
  const keys: string[][] = [];
  lines.forEach((raw, i) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const where = `line ${i + 1}`;
    if (line.trim() === "") {
      problems.push(`${where} is blank`);
      return;
    }
    const parts = line.split("\t");
    if (parts.length !== columns) {
      problems.push(
        `${where}: ${parts.length} part(s), but ${columns} column(s) were given` +
          (parts.length > columns
            ? " (parts are tab-separated, so a tab cannot be part of an ID in a text file: use a JSON ID list)"
            : ""),
      );
      return;
    }
    const problem = keyProblem(parts, columns);
    if (problem) problems.push(`${where}: ${problem}`);
    else keys.push(parts);
  });
  if (problems.length > 0) throw new SubjectIdError(problems);
  if (keys.length === 0) throw new SubjectIdError(["the ID list is empty"]);
  return keys;
}

/** A JSON ID list: an array of strings, or of arrays of strings for composite keys (in column order). */
export function parseIdsJson(text: string, columns = 1): string[][] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SubjectIdError([`not valid JSON: ${(err as Error).message}`]);
  }
  if (!Array.isArray(value)) throw new SubjectIdError(["a JSON ID list must be an array"]);
  return validateSubjectKeys(value, columns);
}

/**
 * Checks keys as a request or an API caller gives them: a string for a one-column key, an array of
 * strings for a composite one. `columns` is the number of key columns, or their kinds. Throws one
 * problem per bad key, naming its position (`ID 3` is the third given); returns the keys as parts.
 */
export function validateSubjectKeys(
  keys: readonly unknown[],
  columns: number | readonly IdColumnKind[],
): string[][] {
  const kinds = typeof columns === "number" ? undefined : columns;
  const count = kinds ? kinds.length : (columns as number);
  const problems: string[] = [];
  const out: string[][] = [];
  keys.forEach((key, i) => {
    const where = `ID ${i + 1}`;
    const parts = typeof key === "string" ? [key] : key;
    if (!Array.isArray(parts) || parts.some((p) => typeof p !== "string")) {
      problems.push(`${where} is not a string or an array of strings`);
      return;
    }
    if (count > 1 && typeof key === "string") {
      problems.push(`${where}: a composite key is given as an array of its ${count} parts`);
      return;
    }
    const problem = keyProblem(parts as string[], count, kinds);
    if (problem) problems.push(`${where}: ${problem}`);
    else out.push([...(parts as string[])]);
  });
  if (problems.length > 0) throw new SubjectIdError(problems);
  if (out.length === 0) throw new SubjectIdError(["the ID list is empty"]);
  return out;
}

function keyProblem(parts: string[], columns: number, kinds?: readonly IdColumnKind[]): string | undefined {
  if (parts.length !== columns) return `${parts.length} part(s), but ${columns} column(s) were given`;
  for (let p = 0; p < parts.length; p++) {
    const which = columns > 1 ? `part ${p + 1}` : "the ID";
    if (parts[p].trim() === "") return `${which} is ${parts[p] === "" ? "empty" : "blank"}`;
    if (kinds?.[p] === "integer") {
      const problem = integerIdProblem(parts[p]);
      if (problem) return `${which} is for an integer column but ${problem}`;
    }
  }
  return undefined;
}

/**
 * Integers longer than this are no ID: it bounds what a JSON number such as `1e999999999` expands to,
 * identically wherever IDs are compared (the ingest guard and the purge).
 */
export const MAX_INTEGER_ID_DIGITS = 1000;

/**
 * Why `id` is not the canonical decimal text of an integer (`-?(0|[1-9][0-9]*)`, not `-0`), or
 * undefined when it is.
 */
export function integerIdProblem(id: string): string | undefined {
  if (id === "") return "is empty";
  if (/^-?(0|[1-9][0-9]*)$/.test(id)) {
    if (id === "-0") return "is negative zero (write 0)";
    if (id.replace("-", "").length > MAX_INTEGER_ID_DIGITS)
      return `has more than ${MAX_INTEGER_ID_DIGITS} digits`;
    return undefined;
  }
  if (id.trim() !== id) return "has spaces around it";
  if (/^\+[0-9]+$/.test(id)) return "has a '+' sign (write the digits alone)";
  if (/^-?0[0-9]+$/.test(id)) return "has a leading zero (an integer is written without one)";
  if (/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(id))
    return "is written with a decimal point or an exponent (write the integer's digits)";
  return "is not an integer";
}

/** The integer an ID for an integer column stands for; throws SubjectIdError with the reason. */
export function canonicalIntegerId(id: string): bigint {
  const problem = integerIdProblem(id);
  if (problem) throw new SubjectIdError([`the ID ${problem}`]);
  return BigInt(id);
}

const JSON_NUMBER = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

/**
 * The canonical integer text of a JSON number's source text (`1e3`, `1000.0` and `1000` are all
 * "1000"), or undefined when the number is not an integer. Exact at any size: no double on the way.
 */
export function jsonNumberAsIntegerId(text: string): string | undefined {
  const m = JSON_NUMBER.exec(text);
  if (!m) return undefined;
  const [, sign, whole, fraction = "", exponentText = "0"] = m;
  let digits = (whole + fraction).replace(/^0+/, "");
  if (digits === "") return "0";
  const exponent = Number(exponentText) - fraction.length;
  if (exponent >= 0) {
    if (digits.length + exponent > MAX_INTEGER_ID_DIGITS) return undefined;
    digits += "0".repeat(exponent);
  } else {
    const cut = -exponent;
    if (cut >= digits.length || !/^0*$/.test(digits.slice(digits.length - cut))) return undefined;
    digits = digits.slice(0, digits.length - cut);
    if (digits.length > MAX_INTEGER_ID_DIGITS) return undefined;
  }
  return sign + digits;
}
