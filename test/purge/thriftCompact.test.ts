// The Thrift compact codec that reads and writes Parquet footers and page headers.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  TStruct,
  TType,
  decodeStruct,
  encodeStruct,
  ThriftError,
} from "../../runtime/formats/parquet/thriftCompact";
import { makeFixture, tempDir } from "./pyarrow";

describe("purge: Thrift compact codec", () => {
  it("round-trips every value type, long lists, large field-id jumps and negative numbers", () => {
    const inner: TStruct = new Map([[1, { t: TType.Binary, v: new TextEncoder().encode("x") }]]);
    const s: TStruct = new Map<number, import("../../runtime/formats/parquet/thriftCompact").TValue>([
      [1, { t: TType.True, v: true }],
      [2, { t: TType.False, v: false }],
      [3, { t: TType.Byte, v: -5 }],
      [4, { t: TType.I16, v: -300 }],
      [5, { t: TType.I32, v: -2_000_000_000 }],
      [6, { t: TType.I64, v: -(2n ** 62n) }],
      [7, { t: TType.Double, v: -1.5 }],
      [40, { t: TType.I64, v: 2n ** 63n - 1n }], // delta > 15: long field header
      [
        41,
        {
          t: TType.List,
          elem: TType.I32,
          v: Array.from({ length: 20 }, (_, i) => ({ t: TType.I32, v: i - 10 })),
        },
      ],
      [42, { t: TType.List, elem: TType.Struct, v: [{ t: TType.Struct, v: inner }] }],
      [
        43,
        {
          t: TType.Map,
          key: TType.Binary,
          val: TType.I32,
          v: [
            [
              { t: TType.Binary, v: new Uint8Array([1]) },
              { t: TType.I32, v: 7 },
            ],
          ],
        },
      ],
    ]);
    const bytes = encodeStruct(s);
    const { value, end } = decodeStruct(bytes);
    expect(end).to.equal(bytes.length);
    expect(value).to.deep.equal(s);
    expect(encodeStruct(value)).to.deep.equal(bytes);
  });

  it("decodes and re-encodes a pyarrow footer byte for byte", () => {
    const dir = tempDir();
    try {
      const file = fs.readFileSync(makeFixture("int96", "SNAPPY", path.join(dir, "f.parquet")));
      const len = file.readUInt32LE(file.length - 8);
      const footer = file.subarray(file.length - 8 - len, file.length - 8);
      expect(Buffer.from(encodeStruct(decodeStruct(footer).value)).equals(footer)).to.equal(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects truncated input with a ThriftError", () => {
    const bytes = encodeStruct(new Map([[1, { t: TType.Binary, v: new Uint8Array(10) }]]));
    expect(() => decodeStruct(bytes.subarray(0, 5))).to.throw(ThriftError);
  });
});
