// The csv and csv.gz formats through the registry: chosen by the mapper's format with its csv options,
// the bytes checked against it, purged through a ByteSource and a sink, refusals known as refusals.
import { expect } from "chai";
import * as zlib from "node:zlib";
import type { DataMapper } from "../../../runtime/contracts/mappers";
import { checkedFormat, FormatMismatchError, isFormatRefusal, lakeFormatOf } from "../../../runtime/formats";
import { bufferSource } from "../../../runtime/formats/byteSource";
import { CsvFormatError } from "../../../runtime/formats/csv/csvRows";
import { CsvOptionsError } from "../../../runtime/formats/csv/dialect";
import { keyMatcher } from "../../../runtime/subjects/matcher";

const mapper: Pick<DataMapper, "name" | "format" | "csv"> = {
  name: "leads",
  format: "csv.gz",
  csv: { serde: "OpenCSVSerde", columns: ["id", "name"], skipHeaderLines: 1 },
};
const text = 'id,name\r\n1,"a, b"\r\n2,c\r\n1,d';

describe("formats/csv: the registry", () => {
  it("purges a csv.gz object through the mapper's format, keeping the other rows' bytes", async () => {
    const source = bufferSource(zlib.gzipSync(text), "s3://crm/leads/dt=1/a.csv.gz");
    const format = await checkedFormat(mapper, source);
    expect(format.title).to.equal("gzip-compressed CSV");
    const out: Uint8Array[] = [];
    const stats = await format.purge(
      source,
      { write: async (b) => void out.push(b) },
      keyMatcher(["id"], ["1"]),
    );
    expect(zlib.gunzipSync(Buffer.concat(out)).toString()).to.equal("id,name\r\n2,c\r\n");
    expect([stats.rowsBefore, stats.rowsRemoved]).to.deep.equal([3, 2]);
    const { keys } = await format.keysInObject(source, ["id"]);
    expect([...keys]).to.deep.equal([
      ["1", 2],
      ["2", 1],
    ]);
  });

  it("refuses plain bytes for csv.gz and gzip for csv, naming the object and the mapper", async () => {
    const plain = bufferSource(Buffer.from(text), "s3://crm/leads/a.csv.gz");
    const err = await checkedFormat(mapper, plain).catch((e) => e);
    expect(err).to.be.instanceOf(FormatMismatchError);
    expect(err.message).to.match(
      /s3:\/\/crm\/leads\/a\.csv\.gz is not gzip-compressed CSV \(the mapper 'leads'/,
    );
    const gz = bufferSource(zlib.gzipSync(text), "a.csv");
    expect(await checkedFormat({ ...mapper, format: "csv" }, gz).catch((e) => e)).to.be.instanceOf(
      FormatMismatchError,
    );
  });

  it("needs the mapper's csv options, and refuses bad ones before reading", () => {
    expect(() => lakeFormatOf({ format: "csv" })).to.throw(
      /the csv format needs the data mapper's csv options/,
    );
    const bad = () => lakeFormatOf({ format: "csv", csv: { serde: "OpenCSVSerde", columns: [] } });
    expect(bad).to.throw(CsvOptionsError);
  });

  it("counts a malformed row and bad options as refusals (no retry cures them)", async () => {
    const err = await lakeFormatOf({ ...mapper, format: "csv" })
      .scan(bufferSource(Buffer.from('id,name\n1,"a\n')), keyMatcher(["id"], ["1"]))
      .catch((e) => e);
    expect(err).to.be.instanceOf(CsvFormatError);
    expect(isFormatRefusal(err)).to.equal(true);
    expect(isFormatRefusal(new CsvOptionsError("x"))).to.equal(true);
    expect(isFormatRefusal(new Error("network"))).to.equal(false);
  });
});
