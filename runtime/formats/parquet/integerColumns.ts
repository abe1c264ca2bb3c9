// Which leaf columns hold integers (INT32/INT64 without a date, time, timestamp or decimal annotation):
// the key columns whose IDs must be canonical integers, so that comparing texts compares integers.
import { F, Footer, PhysicalType } from "./parquetFormat";
import { TStruct, getI32, getString, getStruct, getStructList } from "./thriftCompact";

/** parquet.thrift SchemaElement.converted_type and .logicalType, and LogicalType's INTEGER member. */
const CONVERTED_TYPE = 6;
const LOGICAL_TYPE = 10;
const LOGICAL_INTEGER = 10;
/** ConvertedType UINT_8 .. INT_64. */
const INTEGER_CONVERTED = { from: 11, to: 18 };

/** Dotted paths of the integer leaf columns. */
export function integerLeafPaths(footer: Footer): Set<string> {
  const schema = getStructList(footer.raw, F.file.schema);
  const out = new Set<string>();
  let pos = 1;
  const walk = (parts: string[]): void => {
    const el = schema[pos++];
    if (!el) return;
    const path = [...parts, getString(el, F.schema.name) ?? ""];
    const children = getI32(el, F.schema.numChildren) ?? 0;
    if (children > 0) {
      for (let i = 0; i < children; i++) walk(path);
      return;
    }
    if (isInteger(el)) out.add(path.join("."));
  };
  const top = getI32(schema[0], F.schema.numChildren) ?? 0;
  for (let i = 0; i < top; i++) walk([]);
  return out;
}

function isInteger(el: TStruct): boolean {
  const type = getI32(el, F.schema.type);
  if (type !== PhysicalType.INT32 && type !== PhysicalType.INT64) return false;
  const logical = getStruct(el, LOGICAL_TYPE);
  if (logical && logical.size > 0) return logical.has(LOGICAL_INTEGER);
  const converted = getI32(el, CONVERTED_TYPE);
  return (
    converted === undefined || (converted >= INTEGER_CONVERTED.from && converted <= INTEGER_CONVERTED.to)
  );
}
