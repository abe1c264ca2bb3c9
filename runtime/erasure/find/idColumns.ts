// The ID columns of a mapper as the catalog types them: each dotted path resolved through structs to
// a string or integer leaf, anything else refused; and the batch's keys checked against those types,
// so a query only ever runs with IDs every column can hold.
import { DataMapper } from "../../contracts/mappers";
import { pathSteps } from "../../subjects/columnPath";
import { FindInputError } from "./finder";

export type IdKind = { kind: "string" } | { kind: "integer"; bits: 8 | 16 | 32 | 64 };

export interface IdColumn {
  path: string;
  /** The catalog's type of the leaf, as written there (for messages). */
  type: string;
  id: IdKind;
}

/** Top-level columns by name with their type strings (Glue/Hive notation or DuckDB notation). */
export type ColumnTypes = ReadonlyMap<string, string>;

const integerBits: Record<string, 8 | 16 | 32 | 64> = {
  tinyint: 8,
  smallint: 16,
  int: 32,
  integer: 32,
  bigint: 64,
  int8: 64,
  int4: 32,
  int2: 16,
  int1: 8,
  long: 64,
};

/** string/varchar/char and signed integers are IDs; floats, decimals, times, booleans, binaries are not. */
export function idKindOf(type: string): IdKind | undefined {
  const t = type.trim().toLowerCase();
  if (t === "string" || t === "varchar" || t === "text" || /^(varchar|char)\(\d+\)$/.test(t))
    return { kind: "string" };
  const bits = integerBits[t];
  return bits ? { kind: "integer", bits } : undefined;
}

/** Splits a Hive struct type `struct<a:int,b:struct<c:string>>` into its fields (undefined if not a struct). */
export function structFields(type: string): Map<string, string> | undefined {
  const t = type.trim();
  const hive = /^struct<(.*)>$/is.exec(t);
  const duck = /^struct\((.*)\)$/is.exec(t);
  const body = hive?.[1] ?? duck?.[1];
  if (body === undefined) return undefined;
  const fields = new Map<string, string>();
  for (const part of splitTopLevel(body)) {
    const m = hive ? /^\s*"?([^:"]+)"?\s*:\s*(.+)$/s.exec(part) : /^\s*"?([^\s"]+)"?\s+(.+)$/s.exec(part);
    if (m) fields.set(m[1].toLowerCase(), m[2].trim());
  }
  return fields;
}

function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "<" || c === "(") depth++;
    else if (c === ">" || c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts.filter((p) => p.trim() !== "");
}

/** The element type of an array type (`array<string>` in Glue, `VARCHAR[]` in DuckDB), or undefined. */
export function arrayElement(type: string): string | undefined {
  const t = type.trim();
  return /^array<(.*)>$/is.exec(t)?.[1]?.trim() ?? /^(.*)\[\]$/s.exec(t)?.[1]?.trim();
}

/** Resolves every ID column of the mapper against the table's columns, or refuses with the reason. */
export function resolveIdColumns(mapper: DataMapper, columns: ColumnTypes): IdColumn[] {
  const lower = new Map([...columns].map(([k, v]) => [k.toLowerCase(), v]));
  return mapper.idColumns.map((path) => {
    const [top, ...rest] = pathSteps(path);
    let type = lower.get(top.name.toLowerCase());
    if (type === undefined)
      throw new FindInputError(
        mapper.name,
        `ID column '${path}' is not a column of ${mapper.glueDatabase}.${mapper.glueTable}`,
      );
    const element = (step: { name: string; array: boolean }): void => {
      if (!step.array) return;
      const inner = arrayElement(type as string);
      if (inner === undefined)
        throw new FindInputError(
          mapper.name,
          `ID column '${path}': '${step.name}' is not an array (type ${type})`,
        );
      type = inner;
    };
    element(top);
    for (const step of rest) {
      const field = step.name;
      const fields = structFields(type);
      if (!fields)
        throw new FindInputError(
          mapper.name,
          `ID column '${path}': '${field}' is not a field of a struct (type ${type})`,
        );
      const next = fields.get(field.toLowerCase());
      if (next === undefined)
        throw new FindInputError(mapper.name, `ID column '${path}': the struct has no field '${field}'`);
      type = next;
      element(step);
    }
    const id = idKindOf(type);
    if (!id) {
      throw new FindInputError(
        mapper.name,
        `ID column '${path}' has type ${type}; only string and integer columns can hold IDs`,
      );
    }
    return { path, type, id };
  });
}

const canonicalInteger = /^-?(0|[1-9][0-9]*)$/;

/**
 * Refuses a batch that is empty, has keys of the wrong arity, or a part an integer column cannot hold.
 * A subject is named by its place in the manifest (written once, so the place is stable), never its ID.
 */
export function checkKeys(mapper: string, columns: IdColumn[], keys: readonly (readonly string[])[]): void {
  if (keys.length === 0) throw new FindInputError(mapper, "the batch has no subject IDs");
  keys.forEach((key, n) => {
    if (key.length !== columns.length) {
      throw new FindInputError(
        mapper,
        `subject ${n + 1} of the batch has ${key.length} ID part(s), the mapper has ${columns.length} ID column(s)`,
      );
    }
    columns.forEach((c, i) => {
      if (c.id.kind !== "integer") return;
      const part = key[i];
      const limit = 1n << BigInt(c.id.bits - 1);
      if (!canonicalInteger.test(part) || BigInt(part) < -limit || BigInt(part) >= limit) {
        throw new FindInputError(
          mapper,
          `subject ${n + 1} of the batch: part ${i + 1} is not a valid ${c.type} for ID column '${c.path}'`,
        );
      }
    });
  });
}

/** A SQL identifier path (`"user"."id"`), after checking it can be quoted safely. */
export function quotedPath(path: string, alias: string): string {
  const parts = path.split(".").filter((p) => p !== "");
  if (parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) throw new Error(`unsafe column path ${path}`);
  return [alias, ...parts.map((p) => `"${p}"`)].join(".");
}

export function quotedName(name: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`unsafe identifier ${name}`);
  return `"${name}"`;
}

/** Which engine a condition is written for: they spell "any element of an array matches" differently. */
export type SqlDialect = "athena" | "duckdb";

/**
 * The join condition: integer columns compare as integers (TRY_CAST of the manifest part), strings as
 * strings. A column through an array (`contacts[].customer_id`) matches when any element does:
 * Athena (Trino) `any_match(array, x -> ...)`, DuckDB `list_filter(array, lambda x: ...)` not empty.
 */
export function joinCondition(
  columns: IdColumn[],
  table: string,
  part: (i: number) => string,
  dialect: SqlDialect,
): string {
  return columns
    .map((c, i) => {
      const right = c.id.kind === "integer" ? `TRY_CAST(${part(i)} AS BIGINT)` : part(i);
      const steps = pathSteps(c.path);
      const at = steps.findIndex((s) => s.array);
      if (at < 0) return `${quotedPath(c.path, table)} = ${right}`;
      const list = quotedPath(
        steps
          .slice(0, at + 1)
          .map((s) => s.name)
          .join("."),
        table,
      );
      const element = quotedPath(
        steps
          .slice(at + 1)
          .map((s) => s.name)
          .join("."),
        "x",
      );
      return dialect === "athena"
        ? `any_match(${list}, x -> ${element} = ${right})`
        : `len(list_filter(${list}, lambda x: ${element} = ${right})) > 0`;
    })
    .join(" AND ");
}
