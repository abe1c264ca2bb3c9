// CSV and TSV through the whole erasure workflow on the emulator (issue 22): a local stack provisioned
// from a stack config with a gzip CSV mapper (OpenCSVSerde, a header line) and a plain TSV mapper
// (LazySimpleSerDe, tab, backslash escape), objects written by Python's csv module in every dialect these
// tables read (doubled or escaped quotes, CRLF or LF, escaped tabs) in Hive-style `dt=` partitions, and
// `lethe erase --wait` of subjects present in both. The request COMPLETED; every version of every object
// holds no row of theirs; every object is its original bytes less exactly the removed rows' lines.
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { makeS3Client } from "../../../runtime/aws/clients";
import type { DataMapper } from "../../../runtime/contracts/mappers";
import type { LocalStack } from "../../../runtime/contracts/stack";
import { scanObjectVersion } from "../../../runtime/purge/objectPurge";
import { headObject, listKeyVersions } from "../../../runtime/purge/s3Objects";
import { keyMatcher } from "../../../runtime/subjects/matcher";
import { erase } from "../../../cli/work/erasureCommands";
import { provisionLocalStack, writeOutputsFile } from "../../../local/stack";
import { createBucketLike } from "../../../local/stack/copies";
import { projectWithStack } from "../../support/projectStack";
import { Fixture, PythonDialect, writeCsv } from "./pythonCsv";

interface Written {
  mapper: DataMapper;
  key: string;
  fixture: Fixture;
  /** Each row's ID, in the fixture's order. */
  ids: string[];
}

describe("formats/csv: CSV and TSV mappers through erase --wait on a local stack", function () {
  this.timeout(900_000);
  const s3 = makeS3Client();
  const run = randomUUID().slice(0, 8);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-csv-workflow-"));
  const bucket = `crm-lake-${run}`;
  const subjects = [`c-${run}-3`, `c-${run}-7`];
  const customer = (n: number) => `c-${run}-${n % 10}`;
  const leads: DataMapper = {
    name: "leads",
    glueDatabase: "crm",
    glueTable: "leads",
    location: `s3://${bucket}/leads/`,
    idColumns: ["customer_id"],
    format: "csv.gz",
    partitionColumns: ["dt"],
    // OpenCSVSerde's defaults (escape a backslash): it reads doubled quotes and escaped ones alike.
    csv: { serde: "OpenCSVSerde", columns: ["customer_id", "name", "note"], skipHeaderLines: 1 },
  };
  const visits: DataMapper = {
    name: "visits",
    glueDatabase: "crm",
    glueTable: "visits",
    location: `s3://${bucket}/visits/`,
    idColumns: ["customer_id"],
    format: "csv",
    partitionColumns: ["dt"],
    csv: {
      serde: "LazySimpleSerDe",
      columns: ["page", "customer_id", "comment"],
      separator: "\t",
      escape: "\\",
    },
  };
  const written: Written[] = [];
  let stack: LocalStack;
  let outputs: string;

  async function put(mapper: DataMapper, key: string, build: (file: string) => Fixture, ids: string[]) {
    const fixture = build(path.join(dir, "fixtures", key));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: fixture.bytes }));
    written.push({ mapper, key, fixture, ids });
  }

  before(async () => {
    const program = projectWithStack(dir, "csvflow", {
      "lethe:dataMappers": JSON.stringify([leads, visits]),
    });
    stack = (await provisionLocalStack({ stack: "csvflow", program })).stack;
    outputs = path.join(dir, "local.json");
    writeOutputsFile(outputs, stack);
    await createBucketLike("lakeBucket", bucket, stack.kmsKeyArn);

    // leads: Python's excel dialect (QUOTE_MINIMAL, doubled quotes, CRLF), its unix dialect (QUOTE_ALL,
    // LF) and quotes escaped with a backslash, values holding the separator, quotes and line breaks; one
    // object without any subject.
    const csvDialects: [string, PythonDialect][] = [
      ["2024-03-01", {}],
      ["2024-03-02", { quoting: "all", lineterminator: "\n" }],
      ["2024-03-04", { quoting: "all", doublequote: false, escapechar: "\\", lineterminator: "\n" }],
    ];
    for (const [day, dialect] of csvDialects) {
      const ids = Array.from({ length: 20 }, (_, i) => customer(i));
      const rows = ids.map((id, i) => [id, `Name, "${i}"`, i % 4 === 0 ? "two\nlines" : ` spaced ${i} `]);
      await put(
        leads,
        `leads/dt=${day}/part-0.csv.gz`,
        (file) => writeCsv(file, { header: leads.csv!.columns as string[], rows, dialect, gzip: true }),
        ids,
      );
    }
    const others = Array.from({ length: 5 }, (_, i) => customer(i * 2)); // 0, 2, 4, 6, 8: no subject
    await put(
      leads,
      "leads/dt=2024-03-03/part-0.csv.gz",
      (file) =>
        writeCsv(file, {
          header: leads.csv!.columns as string[],
          rows: others.map((id) => [id, "x", "y"]),
          gzip: true,
        }),
      others,
    );

    // visits: tab-separated, no quoting (a quote is an ordinary character), tabs in values escaped with
    // a backslash, LF, no header, the last line of one object without a line ending.
    const tsv: PythonDialect = {
      delimiter: "\t",
      quoting: "none",
      quotechar: null,
      escapechar: "\\",
      lineterminator: "\n",
    };
    for (const [n, day] of ["2024-03-01", "2024-03-02"].entries()) {
      const ids = Array.from({ length: 15 }, (_, i) => customer(i + n));
      const rows = ids.map((id, i) => [`/page/${i}`, id, `said "hi",\t${i}`]);
      await put(
        visits,
        `visits/dt=${day}/visits-${n}.tsv`,
        (file) => writeCsv(file, { rows, dialect: tsv, finalNewline: n === 0 }),
        ids,
      );
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The object's text as stored now (gunzipped for csv.gz). */
  async function currentText(w: Written): Promise<string> {
    const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: w.key }));
    const bytes = Buffer.from(await o.Body!.transformToByteArray());
    return (w.mapper.format === "csv.gz" ? gunzipSync(bytes) : bytes).toString("utf8");
  }

  /** Rows of `ids` in every version of the object, scanned with the registry's format. */
  async function rowsInVersions(w: Written, ids: string[]): Promise<{ versions: number; rows: number }> {
    let versions = 0;
    let rows = 0;
    for (const v of (await listKeyVersions(s3, bucket, w.key)).all) {
      if (v.deleteMarker) continue;
      versions++;
      const version = await headObject(s3, bucket, w.key, v.versionId);
      const scan = await scanObjectVersion(s3, version, w.mapper, keyMatcher(w.mapper.idColumns, ids));
      for (const n of scan.matches.values()) rows += n;
    }
    return { versions, rows };
  }

  it("erases subjects from both mappers: COMPLETED, no version holds them, every kept row's bytes unchanged", async () => {
    for (const w of written) {
      const expected = w.ids.filter((id) => subjects.includes(id)).length;
      expect(await rowsInVersions(w, subjects), w.key).to.deep.equal({ versions: 1, rows: expected });
    }
    expect(
      written.filter((w) => w.mapper === visits && w.ids.some((id) => subjects.includes(id))),
    ).to.have.length(2);

    const result = await erase(
      { ids: subjects, reason: "csv workflow", requestedBy: "test", wait: true },
      { stackOutputsFile: outputs, drainSeconds: 0 },
    );
    expect(result.status?.state, JSON.stringify(result.status)).to.equal("COMPLETED");

    for (const w of written) {
      // One version left (the subject's was deleted, or the object had none), holding no subject row.
      expect(await rowsInVersions(w, subjects), w.key).to.deep.equal({ versions: 1, rows: 0 });
      // The header and every kept row exactly as Python wrote them.
      const kept = w.fixture.rows.filter((_, i) => !subjects.includes(w.ids[i]));
      expect(await currentText(w), w.key).to.equal((w.fixture.header ?? "") + kept.join(""));
      const others = [...new Set(w.ids.filter((id) => !subjects.includes(id)))];
      expect((await rowsInVersions(w, others)).rows, w.key).to.equal(kept.length);
    }
  });
});
