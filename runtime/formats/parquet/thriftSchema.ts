// The shapes parquet.thrift gives the structs this engine reads (FileMetaData and what it holds, page
// headers): each known field's wire type, and which fields are required. The Thrift codec itself is
// generic and lossless (thriftCompact.ts), so a flipped byte can decode into a field of the wrong type
// or lose a required one; a reader generated from parquet.thrift (pyarrow, Spark, Athena) refuses such
// a struct, and so must we before copying it into an output. Unknown field ids are allowed (newer
// Parquet versions add fields).
import { TStruct, TType, TValue } from "./thriftCompact";

type Scalar = "bool" | "i8" | "i16" | "i32" | "i64" | "binary";
type Shape = Scalar | StructShape | { list: Shape };

interface FieldShape {
  shape: Shape;
  required?: boolean;
  /** Inclusive range of an enum field's values. */
  range?: [number, number];
}

interface StructShape {
  name: string;
  fields: Record<number, FieldShape>;
}

const req = (shape: Shape, range?: [number, number]): FieldShape => ({ shape, required: true, range });
const opt = (shape: Shape, range?: [number, number]): FieldShape => ({ shape, range });
const empty = (name: string): StructShape => ({ name, fields: {} });

const PHYSICAL_TYPE: [number, number] = [0, 7];
const REPETITION: [number, number] = [0, 2];
const PAGE_TYPE: [number, number] = [0, 3];

const statistics: StructShape = {
  name: "Statistics",
  fields: {
    1: opt("binary"),
    2: opt("binary"),
    3: opt("i64"),
    4: opt("i64"),
    5: opt("binary"),
    6: opt("binary"),
    7: opt("bool"),
    8: opt("bool"),
  },
};

const timeUnit: StructShape = {
  name: "TimeUnit",
  fields: { 1: opt(empty("MilliSeconds")), 2: opt(empty("MicroSeconds")), 3: opt(empty("NanoSeconds")) },
};

const logicalType: StructShape = {
  name: "LogicalType",
  fields: {
    1: opt(empty("StringType")),
    2: opt(empty("MapType")),
    3: opt(empty("ListType")),
    4: opt(empty("EnumType")),
    5: opt({ name: "DecimalType", fields: { 1: req("i32"), 2: req("i32") } }),
    6: opt(empty("DateType")),
    7: opt({ name: "TimeType", fields: { 1: req("bool"), 2: req(timeUnit) } }),
    8: opt({ name: "TimestampType", fields: { 1: req("bool"), 2: req(timeUnit) } }),
    10: opt({ name: "IntType", fields: { 1: req("i8"), 2: req("bool") } }),
    11: opt(empty("NullType")),
    12: opt(empty("JsonType")),
    13: opt(empty("BsonType")),
    14: opt(empty("UUIDType")),
    15: opt(empty("Float16Type")),
  },
};

const schemaElement: StructShape = {
  name: "SchemaElement",
  fields: {
    1: opt("i32", PHYSICAL_TYPE),
    2: opt("i32"),
    3: opt("i32", REPETITION),
    4: req("binary"),
    5: opt("i32"),
    6: opt("i32"),
    7: opt("i32"),
    8: opt("i32"),
    9: opt("i32"),
    10: opt(logicalType),
  },
};

const keyValue: StructShape = { name: "KeyValue", fields: { 1: req("binary"), 2: opt("binary") } };

const columnMetaData: StructShape = {
  name: "ColumnMetaData",
  fields: {
    1: req("i32", PHYSICAL_TYPE),
    2: req({ list: "i32" }),
    3: req({ list: "binary" }),
    4: req("i32"),
    5: req("i64"),
    6: req("i64"),
    7: req("i64"),
    8: opt({ list: keyValue }),
    9: req("i64"),
    10: opt("i64"),
    11: opt("i64"),
    12: opt(statistics),
    13: opt({
      list: { name: "PageEncodingStats", fields: { 1: req("i32", PAGE_TYPE), 2: req("i32"), 3: req("i32") } },
    }),
    14: opt("i64"),
    15: opt("i32"),
  },
};

const columnChunk: StructShape = {
  name: "ColumnChunk",
  fields: {
    1: opt("binary"),
    2: req("i64"),
    3: opt(columnMetaData),
    4: opt("i64"),
    5: opt("i32"),
    6: opt("i64"),
    7: opt("i32"),
    9: opt("binary"),
  },
};

const rowGroup: StructShape = {
  name: "RowGroup",
  fields: {
    1: req({ list: columnChunk }),
    2: req("i64"),
    3: req("i64"),
    4: opt({ list: { name: "SortingColumn", fields: { 1: req("i32"), 2: req("bool"), 3: req("bool") } } }),
    5: opt("i64"),
    6: opt("i64"),
    7: opt("i16"),
  },
};

export const fileMetaDataShape: StructShape = {
  name: "FileMetaData",
  fields: {
    1: req("i32"),
    2: req({ list: schemaElement }),
    3: req("i64"),
    4: req({ list: rowGroup }),
    5: opt({ list: keyValue }),
    6: opt("binary"),
    7: opt({ list: { name: "ColumnOrder", fields: { 1: opt(empty("TypeDefinedOrder")) } } }),
    9: opt("binary"),
  },
};

export const pageHeaderShape: StructShape = {
  name: "PageHeader",
  fields: {
    1: req("i32", PAGE_TYPE),
    2: req("i32"),
    3: req("i32"),
    4: opt("i32"),
    5: opt({
      name: "DataPageHeader",
      fields: { 1: req("i32"), 2: req("i32"), 3: req("i32"), 4: req("i32"), 5: opt(statistics) },
    }),
    7: opt({ name: "DictionaryPageHeader", fields: { 1: req("i32"), 2: req("i32"), 3: opt("bool") } }),
    8: opt({
      name: "DataPageHeaderV2",
      fields: {
        1: req("i32"),
        2: req("i32"),
        3: req("i32"),
        4: req("i32"),
        5: req("i32"),
        6: req("i32"),
        7: opt("bool"),
        8: opt(statistics),
      },
    }),
  },
};

const WIRE: Record<Scalar, TType[]> = {
  bool: [TType.True, TType.False],
  i8: [TType.Byte],
  i16: [TType.I16],
  i32: [TType.I32],
  i64: [TType.I64],
  binary: [TType.Binary],
};

/** What is wrong with `s` as a `shape` (the first problem found), or undefined. */
export function shapeProblem(s: TStruct, shape: StructShape): string | undefined {
  for (const [id, field] of Object.entries(shape.fields)) {
    const value = s.get(Number(id));
    if (value === undefined) {
      if (field.required) return `${shape.name}: required field ${id} is missing`;
      continue;
    }
    const problem = valueProblem(value, field.shape, `${shape.name}.${id}`);
    if (problem) return problem;
    if (field.range && value.t === TType.I32) {
      const [low, high] = field.range;
      if (value.v < low || value.v > high) return `${shape.name}.${id}: value ${value.v} is not defined`;
    }
  }
  return undefined;
}

function valueProblem(value: TValue, shape: Shape, where: string): string | undefined {
  if (typeof shape === "string") {
    return WIRE[shape].includes(value.t)
      ? undefined
      : `${where}: expected ${shape}, found Thrift type ${value.t}`;
  }
  if ("list" in shape) {
    if (value.t !== TType.List) return `${where}: expected a list, found Thrift type ${value.t}`;
    for (const element of value.v) {
      const problem = valueProblem(element, shape.list, `${where}[]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (value.t !== TType.Struct) return `${where}: expected ${shape.name}, found Thrift type ${value.t}`;
  return shapeProblem(value.v, shape);
}
