// Iceberg metadata JSON holds 64-bit snapshot ids (2530960330092934504): JSON.parse would round them to
// the nearest double and a rewritten metadata file would then name snapshots that do not exist. Integers
// beyond 2^53 are read as bigint (from their source text) and written back digit for digit.

type Reviver = (key: string, value: unknown, context?: { source?: string }) => unknown;

/** JSON.parse keeping every integer exact: those beyond Number.MAX_SAFE_INTEGER become bigint. */
export function parseExactJson(text: string): unknown {
  const reviver: Reviver = (_key, value, context) =>
    typeof value === "number" &&
    !Number.isSafeInteger(value) &&
    context?.source &&
    /^-?\d+$/.test(context.source)
      ? BigInt(context.source)
      : value;
  return JSON.parse(text, reviver as (key: string, value: unknown) => unknown);
}

const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/** JSON.stringify writing bigint as the plain integer it is. */
export function stringifyExactJson(value: unknown, space?: number): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => (typeof v === "bigint" ? rawJson(v.toString()) : v),
    space,
  );
}

/** A snapshot id as a map key: one spelling whether it was read as number or bigint. */
export function idText(id: unknown): string {
  return String(id);
}
