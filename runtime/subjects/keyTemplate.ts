// A `delete-object` mapper's key template (docs/purge.md, "Strategies"): where, relative to the
// mapper's location, a subject's own objects are, e.g. `users/{customer_id}/*` or `{customer_id}-*.csv`.
//  - `{column}` stands for the subject's ID in that ID column, each ID column exactly once;
//  - `*` stands for any characters, `/` included, and comes after every placeholder, so a subject's
//    objects are listed on one literal prefix (the template up to its first `*`, IDs filled in);
//  - a placeholder ends the template or is followed by a literal character, its delimiter: an ID
//    never holds its placeholder's delimiter (find refuses a subject whose ID does), so a key names at
//    most one subject (`12-34-a.csv` is subject 12's under `{customer_id}-*.csv`).
import { keyText } from "./subjectIds";

type Part = { literal: string } | { column: string } | { any: true };

export interface KeyTemplate {
  readonly template: string;
  readonly parts: readonly Part[];
  /** Per ID column (in the mapper's order), the character after its placeholder ("" at the end). */
  readonly delimiters: readonly string[];
}

export class KeyTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyTemplateError";
  }
}

/** Parses and checks a template against the mapper's ID columns; throws KeyTemplateError saying why. */
export function parseKeyTemplate(template: unknown, idColumns: readonly string[]): KeyTemplate {
  const fail = (why: string): never => {
    throw new KeyTemplateError(`keyTemplate ${JSON.stringify(template)} ${why}`);
  };
  if (typeof template !== "string" || template.length === 0) fail("must be a non-empty string");
  const t = template as string;
  if (t.startsWith("/")) fail("must be relative to the mapper's location (no leading /)");
  if (/[\s?\\]/.test(t)) fail("must hold no whitespace, ? or \\");
  for (const c of idColumns)
    if (c.includes("[]")) fail(`cannot name array ID column ${c}: an object's key names one ID per column`);
  const parts: Part[] = [];
  let i = 0;
  while (i < t.length) {
    const ch = t[i];
    if (ch === "{") {
      const end = t.indexOf("}", i);
      if (end < 0) fail("has a { without its }");
      parts.push({ column: t.slice(i + 1, end) });
      i = end + 1;
    } else if (ch === "}") {
      fail("has a } without its {");
    } else if (ch === "*") {
      parts.push({ any: true });
      i++;
    } else {
      const last = parts[parts.length - 1];
      if (last && "literal" in last) last.literal += ch;
      else parts.push({ literal: ch });
      i++;
    }
  }
  const named = parts.flatMap((p) => ("column" in p ? [p.column] : []));
  for (const c of named)
    if (!idColumns.includes(c)) fail(`names {${c}}, which is not one of idColumns (${idColumns.join(", ")})`);
  for (const c of idColumns) {
    const n = named.filter((x) => x === c).length;
    if (n !== 1) fail(`must name {${c}} exactly once (it does ${n} time(s))`);
  }
  const firstAny = parts.findIndex((p) => "any" in p);
  const lastColumn = parts.map((p) => "column" in p).lastIndexOf(true);
  if (firstAny >= 0 && firstAny < lastColumn)
    fail("must put every * after the last placeholder (a subject's objects are listed on one prefix)");
  const delimiters = idColumns.map((c) => {
    const at = parts.findIndex((p) => "column" in p && p.column === c);
    const next = parts[at + 1];
    if (next === undefined) return "";
    if (!("literal" in next))
      fail(`must follow {${c}} with a literal character (or end there), not ${"any" in next ? "*" : "{"}`);
    return (next as { literal: string }).literal[0];
  });
  return { template: t, parts, delimiters };
}

/** Why an ID key cannot be used with the template (without naming the ID), or undefined. */
export function subjectProblem(kt: KeyTemplate, subject: readonly string[]): string | undefined {
  for (const [i, id] of subject.entries()) {
    if (id.length === 0) return `an empty ID cannot name an object`;
    const d = kt.delimiters[i];
    if (d !== "" && id.includes(d))
      return `an ID holds ${JSON.stringify(d)}, the character that ends its placeholder in ${JSON.stringify(kt.template)}`;
  }
  return undefined;
}

/** The literal prefix (relative to the location) of one subject's objects: the template up to its first `*`. */
export function subjectPrefix(
  kt: KeyTemplate,
  idColumns: readonly string[],
  subject: readonly string[],
): string {
  let out = "";
  for (const p of kt.parts) {
    if ("any" in p) break;
    out += "literal" in p ? p.literal : subject[idColumns.indexOf(p.column)];
  }
  return out;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/**
 * The subject's key (keyText of its parts) a key relative to the location names under the template,
 * or undefined when the key does not fit the template.
 */
export function keySubject(
  kt: KeyTemplate,
  idColumns: readonly string[],
  relativeKey: string,
): string | undefined {
  const order: string[] = [];
  const source = kt.parts
    .map((p) => {
      if ("literal" in p) return escapeRegExp(p.literal);
      if ("any" in p) return "[\\s\\S]*";
      order.push(p.column);
      const d = kt.delimiters[idColumns.indexOf(p.column)];
      return d === "" ? "([\\s\\S]+)" : `([^${escapeRegExp(d)}]+)`;
    })
    .join("");
  const m = new RegExp(`^${source}$`).exec(relativeKey);
  if (!m) return undefined;
  const ids = idColumns.map((c) => m[order.indexOf(c) + 1]);
  return keyText(ids);
}
