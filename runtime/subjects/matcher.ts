// Which rows to forget: a set of keys over one or more columns (a dotted path reaches into a struct).
// A key is given as its parts, never split: a one-column key is looked up as the value itself, a
// composite key as the JSON text of its parts (unambiguous whatever characters the parts hold). Keys
// are held in a Set, so checking a row costs one hash lookup however many IDs there are. Integer
// columns are compared by their exact decimal text (64-bit values arrive as bigint).
import { DataType, Table, Vector } from "apache-arrow";
import { isArrayPath, pathSteps } from "./columnPath";
import { keyText, SubjectIdError, validateSubjectKeys } from "./subjectIds";
import { matchOlderRows, OlderThan } from "./olderThan";

export interface KeyMatcher {
  /** Column paths in key order, e.g. ["customer_id"] or ["tenant", "user.id"]. */
  readonly columns: readonly string[];
  readonly size: number;
  /** The distinct keys as parts, in the order first given (sent to worker threads). */
  readonly subjects: readonly (readonly string[])[];
  /** The lookup text of each key (keyText). */
  readonly keys: ReadonlySet<string>;
  /** Per distinct key, its position (1-based) in the list given to keyMatcher. */
  readonly positions: readonly number[];
  /** Present: a retention predicate (runtime/subjects/olderThan.ts), not a set of subjects' keys. */
  readonly olderThan?: OlderThan;
  has(key: string): boolean;
}

/** A problem with the match specification (unknown column, unusable type, no IDs). */
export class MatchSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MatchSpecError";
  }
}

export { keyText };

/** The parts of a key's lookup text (the inverse of keyText), for reports. */
export function keyParts(text: string, columns: number): string[] {
  return columns === 1 ? [text] : (JSON.parse(text) as string[]);
}

/**
 * Builds a matcher from keys: a string is one part (a tab in it is part of the ID), an array holds the
 * parts of a composite key in column order. Rules: runtime/subjects/subjectIds.ts.
 */
export function keyMatcher(columns: string[], keys: Iterable<string | readonly string[]>): KeyMatcher {
  if (columns.length === 0) throw new MatchSpecError("no ID column given");
  let valid: string[][];
  try {
    valid = validateSubjectKeys([...keys], columns.length);
  } catch (err) {
    if (err instanceof SubjectIdError) throw new MatchSpecError(err.message);
    throw err;
  }
  const set = new Set<string>();
  const subjects: string[][] = [];
  const positions: number[] = [];
  valid.forEach((parts, i) => {
    const text = keyText(parts);
    if (set.has(text)) return;
    set.add(text);
    subjects.push(parts);
    positions.push(i + 1);
  });
  return {
    columns: [...columns],
    size: set.size,
    subjects,
    keys: set,
    positions,
    has: (key) => set.has(key),
  };
}

type ValueAt = (row: number) => string | null;

/** Reads one key column from an Arrow table, following struct fields, with parents' nulls applied. */
export function keyColumn(table: Table, path: string): ValueAt {
  const [top, ...rest] = path.split(".");
  let vector: Vector | null = table.getChild(top);
  if (!vector) throw new MatchSpecError(`unknown column '${path}'`);
  const ancestors: Vector[] = [];
  for (const name of rest) {
    if (!DataType.isStruct(vector.type))
      throw new MatchSpecError(`column '${path}': '${name}' is not a struct field`);
    ancestors.push(vector);
    const child: Vector | null = vector.getChild(name);
    if (!child) throw new MatchSpecError(`unknown column '${path}'`);
    vector = child;
  }
  const leaf = vector;
  const type = DataType.isDictionary(leaf.type) ? leaf.type.dictionary : leaf.type;
  const isText = DataType.isUtf8(type) || DataType.isLargeUtf8(type);
  if (!isText && !DataType.isInt(type)) {
    throw new MatchSpecError(
      `column '${path}' has type ${leaf.type}; only string and integer ID columns can be matched`,
    );
  }
  return (row) => {
    for (const a of ancestors) if (!a.isValid(row)) return null;
    const v = leaf.get(row);
    return v === null || v === undefined ? null : String(v);
  };
}

/**
 * Reads one key column whose path goes through a list (`ids[]`, `contacts[].customer_id`): per row, the
 * values of the elements that hold one (null elements, null struct fields and null lists hold none).
 */
export function keyColumnValues(table: Table, path: string): (row: number) => string[] {
  const steps = pathSteps(path);
  const vector: Vector | null = table.getChild(steps[0].name);
  if (!vector) throw new MatchSpecError(`unknown column '${path}'`);
  // The types along the path, checked once: a struct field by name, a list's elements for `[]`.
  let type: DataType = vector.type;
  steps.forEach((step, i) => {
    if (i > 0) {
      if (!DataType.isStruct(type))
        throw new MatchSpecError(`column '${path}': '${step.name}' is not a struct field`);
      const field = type.children.find((f) => f.name === step.name);
      if (!field) throw new MatchSpecError(`unknown column '${path}'`);
      type = field.type;
    }
    if (step.array) {
      if (!DataType.isList(type) && !DataType.isLargeList(type) && !DataType.isFixedSizeList(type))
        throw new MatchSpecError(`column '${path}': '${step.name}' is not a list (type ${type})`);
      type = type.children[0].type;
    }
  });
  const leaf = DataType.isDictionary(type) ? type.dictionary : type;
  if (!DataType.isUtf8(leaf) && !DataType.isLargeUtf8(leaf) && !DataType.isInt(leaf)) {
    throw new MatchSpecError(
      `column '${path}' has elements of type ${type}; only string and integer ID columns can be matched`,
    );
  }
  return (row) => {
    let values: unknown[] = [vector.get(row)];
    steps.forEach((step, i) => {
      values = values.filter((v) => v !== null && v !== undefined);
      if (i > 0) values = values.map((v) => (v as Record<string, unknown>)[step.name]);
      values = values.filter((v) => v !== null && v !== undefined);
      if (step.array) values = values.flatMap((list) => [...(list as Iterable<unknown>)]);
    });
    return values.filter((v) => v !== null && v !== undefined).map(String);
  };
}

/** Every value of each ID column in a row: one (or none) for a plain path, one per element for a list. */
export function keyColumnsValues(table: Table, columns: readonly string[]): ((row: number) => string[])[] {
  return columns.map((c) => {
    if (isArrayPath(c)) return keyColumnValues(table, c);
    const one = keyColumn(table, c);
    return (row) => {
      const v = one(row);
      return v === null ? [] : [v];
    };
  });
}

/** The distinct keys a row's ID values combine into (one per element of a list). */
export function rowKeys(values: readonly (readonly string[])[]): string[] {
  if (values.length === 1) return [...new Set(values[0])];
  let keys: string[][] = [[]];
  for (const vs of values) keys = keys.flatMap((k) => [...new Set(vs)].map((v) => [...k, v]));
  return keys.map((parts) => keyText(parts));
}

/**
 * Calls `onMatch(row, key)` for each row of `table` whose key is in the matcher: once per distinct
 * matching key, so a row whose list holds two matching IDs is reported for both (rows in order).
 */
export function matchRows(
  table: Table,
  matcher: KeyMatcher,
  onMatch: (row: number, key: string) => void,
): void {
  if (matcher.olderThan) return matchOlderRows(table, matcher.olderThan, onMatch);
  if (matcher.columns.some(isArrayPath)) {
    const columns = keyColumnsValues(table, matcher.columns);
    for (let row = 0; row < table.numRows; row++) {
      for (const key of rowKeys(columns.map((c) => c(row)))) if (matcher.has(key)) onMatch(row, key);
    }
    return;
  }
  if (matcher.columns.length === 1 && matchUtf8Bytes(table, matcher, onMatch)) return;
  const columns = matcher.columns.map((c) => keyColumn(table, c));
  const n = table.numRows;
  if (columns.length === 1) {
    const only = columns[0];
    for (let row = 0; row < n; row++) {
      const v = only(row);
      if (v !== null && matcher.has(v)) onMatch(row, v);
    }
    return;
  }
  // Composite keys: the first part alone rules out most rows before a key text is built.
  const firsts = firstPartsOf(matcher);
  const parts: string[] = new Array(columns.length);
  rows: for (let row = 0; row < n; row++) {
    for (let c = 0; c < columns.length; c++) {
      const v = columns[c](row);
      if (v === null || (c === 0 && !firsts.has(v))) continue rows;
      parts[c] = v;
    }
    const key = keyText(parts);
    if (matcher.has(key)) onMatch(row, key);
  }
}

/**
 * Fast path for the common case, one top-level string column: hashes each value's UTF-8 bytes in place
 * and decodes a string only when the hash belongs to a wanted key, instead of one string per row.
 */
function matchUtf8Bytes(
  table: Table,
  matcher: KeyMatcher,
  onMatch: (row: number, key: string) => void,
): boolean {
  const column = matcher.columns[0];
  if (column.includes(".")) return false;
  const vector = table.getChild(column);
  if (!vector || !DataType.isUtf8(vector.type)) return false;
  const wanted = hashesOf(matcher);
  const decoder = new TextDecoder();
  let row = 0;
  for (const data of vector.data) {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    const nullable = data.nullCount > 0; // getValid per row costs as much as the hash
    for (let i = 0; i < data.length; i++, row++) {
      if (nullable && !data.getValid(i)) continue;
      const start = offsets[i];
      const end = offsets[i + 1];
      if (!wanted.has(fnv1a(bytes, start, end))) continue;
      const key = decoder.decode(bytes.subarray(start, end));
      if (matcher.has(key)) onMatch(row, key);
    }
  }
  return true;
}

const firstPartsCache = new WeakMap<KeyMatcher, Set<string>>();

function firstPartsOf(matcher: KeyMatcher): Set<string> {
  let firsts = firstPartsCache.get(matcher);
  if (!firsts) {
    firsts = new Set(matcher.subjects.map((parts) => parts[0]));
    firstPartsCache.set(matcher, firsts);
  }
  return firsts;
}

const hashCache = new WeakMap<KeyMatcher, Set<number>>();

function hashesOf(matcher: KeyMatcher): Set<number> {
  let hashes = hashCache.get(matcher);
  if (!hashes) {
    const encoder = new TextEncoder();
    hashes = new Set(
      [...matcher.keys].map((k) => {
        const b = encoder.encode(k);
        return fnv1a(b, 0, b.length);
      }),
    );
    hashCache.set(matcher, hashes);
  }
  return hashes;
}

/** 32-bit FNV-1a: a cheap pre-filter, every hit is confirmed on the decoded string. */
function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}
