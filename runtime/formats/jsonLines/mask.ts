// The `mask` strategy for JSON Lines (docs/purge.md, "Strategies"): a line holding a subject's key is
// kept, with each of the mapper's masked columns set to `null` or to the subject's keyed hash (a JSON
// string), and, when the ID column is an array (`customer_ids[]`, `contacts[].customer_id`), the
// elements holding a subject's ID removed. Only those values' bytes change: every other byte of the
// line (member order, spacing, number spelling, escapes) is kept, and every other line byte for byte.
// A removed element takes its following comma and spacing with it (the last kept element's trailing
// separator when the removed ones end the array). A masked column missing from the line stays missing.
// A line matching several subjects (an array holding two) is hashed with the first matching key.
import { keyParts, KeyMatcher } from "../../subjects/matcher";
import { isArrayPath, pathSteps } from "../../subjects/columnPath";
import { jsonNumberAsIntegerId } from "../../subjects/subjectIds";
import type { PurgeStats, RowMasking } from "../lakeFormat";
import { JsonSpan, jsonSpans, membersNamed } from "./jsonSpans";
import { gzip, isGzip, keysOf, textOf } from "./jsonLines";

interface Edit {
  start: number;
  end: number;
  text: string;
}

export async function maskJsonLines(
  input: Uint8Array,
  matcher: KeyMatcher,
  masking: RowMasking,
  object?: string,
): Promise<{ bytes: Uint8Array; stats: PurgeStats }> {
  const compressed = isGzip(input);
  const text = await textOf(input, object);
  const arrayColumn = matcher.columns.find(isArrayPath);
  if (arrayColumn && matcher.columns.length > 1)
    throw new Error("masking reads an array of IDs only as a one-column key");
  let rows = 0;
  let rowsMasked = 0;
  const lines = text.split("\n").map((line, i) => {
    if (line.trim() === "") return line;
    rows++;
    const matched = keysOf(line, i + 1, matcher, object).filter((k) => matcher.has(k));
    if (matched.length === 0) return line;
    rowsMasked++;
    return maskLine(line, matched[0], matcher, masking, arrayColumn);
  });
  const out = Buffer.from(lines.join("\n"), "utf8");
  const bytes = compressed ? await gzip(out) : out;
  return {
    bytes,
    stats: {
      rowsBefore: rows,
      rowsAfter: rows,
      rowsRemoved: 0,
      rowsMasked,
      bytesIn: input.length,
      bytesOut: bytes.length,
      rowGroups: [{ index: 0, rowsBefore: rows, rowsAfter: rows, rewritten: rowsMasked > 0 }],
    },
  };
}

function maskLine(
  line: string,
  key: string,
  matcher: KeyMatcher,
  masking: RowMasking,
  arrayColumn: string | undefined,
): string {
  const root = jsonSpans(line);
  const edits: Edit[] = [];
  const hash = JSON.stringify(masking.hashOf(keyParts(key, matcher.columns.length)));
  for (const [path, how] of Object.entries(masking.columns)) {
    for (const span of spansAt(root, path.split(".")))
      edits.push({ start: span.start, end: span.end, text: how === "null" ? "null" : hash });
  }
  if (arrayColumn) {
    const steps = pathSteps(arrayColumn);
    const at = steps.findIndex((s) => s.array);
    const arrays = spansAt(
      root,
      steps.slice(0, at + 1).map((s) => s.name),
    ).filter((s): s is Extract<JsonSpan, { kind: "array" }> => s.kind === "array");
    const inside = steps.slice(at + 1).map((s) => s.name);
    for (const array of arrays) {
      const removed = array.elements.map((e) =>
        spansAt(e, inside).some((id) => id.kind === "scalar" && matcher.has(idOf(line, id) ?? "\u0000")),
      );
      edits.push(...elementRemovals(array.elements, removed));
    }
  }
  // An edit inside another (an element of a masked column) is covered by the outer one.
  const outer = edits.filter(
    (e) =>
      !edits.some(
        (o) => o !== e && o.start <= e.start && e.end <= o.end && o.end - o.start > e.end - e.start,
      ),
  );
  outer.sort((a, b) => b.start - a.start);
  let out = line;
  for (const e of outer) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** The value spans at a plain path (every occurrence of a key given twice). */
function spansAt(span: JsonSpan, steps: readonly string[]): JsonSpan[] {
  let spans = [span];
  for (const name of steps) spans = spans.flatMap((s) => membersNamed(s, name));
  return spans;
}

/** A scalar's ID as the matcher reads it: a string as is, a number by its exact integer text. */
function idOf(line: string, span: JsonSpan): string | undefined {
  const text = line.slice(span.start, span.end);
  if (text.startsWith('"')) return JSON.parse(text) as string;
  return jsonNumberAsIntegerId(text);
}

/** Edits removing the flagged elements with their separators, keeping the others' bytes. */
function elementRemovals(elements: readonly JsonSpan[], removed: readonly boolean[]): Edit[] {
  const lastKept = removed.lastIndexOf(false);
  if (lastKept < 0)
    return elements.length === 0
      ? []
      : [{ start: elements[0].start, end: elements[elements.length - 1].end, text: "" }];
  const edits: Edit[] = [];
  for (let i = 0; i < lastKept; i++)
    if (removed[i]) edits.push({ start: elements[i].start, end: elements[i + 1].start, text: "" });
  if (lastKept < elements.length - 1)
    edits.push({ start: elements[lastKept].end, end: elements[elements.length - 1].end, text: "" });
  return edits;
}
