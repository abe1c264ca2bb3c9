// Find refuses a CSV or TSV mapper whose Glue table reads its objects differently from the mapper's
// `csv` options (Athena would see other rows than the purge): the differences named, glueSerdeInfo's
// definition accepted, and on the emulator through the finders' Glue lookup (glueTableFacts).
import { expect } from "chai";
import { CreateDatabaseCommand, CreateTableCommand } from "@aws-sdk/client-glue";
import { makeGlueClient } from "../../../runtime/aws/clients";
import { CsvTableOptions, DataMapper } from "../../../runtime/contracts/mappers";
import { FindInputError } from "../../../runtime/erasure/find";
import { glueTableFacts } from "../../../runtime/erasure/find/glueSchema";
import { csvDialect, glueSerdeInfo } from "../../../runtime/formats/csv/dialect";
import { GlueCsvDefinition, glueCsvDifferences } from "../../../runtime/formats/csv/glueTable";

const leads: CsvTableOptions = {
  serde: "OpenCSVSerde",
  columns: ["customer_id", "name", "email"],
  skipHeaderLines: 1,
};
const visits: CsvTableOptions = {
  serde: "LazySimpleSerDe",
  columns: ["customer_id", "page"],
  separator: "\t",
  escape: "\\",
};

/** The Glue definition glueSerdeInfo gives for the options. */
function definitionOf(options: CsvTableOptions): GlueCsvDefinition {
  const g = glueSerdeInfo(options);
  return {
    serializationLibrary: g.serdeInfo.SerializationLibrary,
    serdeParameters: g.serdeInfo.Parameters,
    tableParameters: g.tableParameters,
    columns: [...options.columns],
  };
}

describe("formats/csv: a Glue table read as the mapper reads it", function () {
  this.timeout(60_000);

  it("glueSerdeInfo's definition agrees with the mapper, for both SerDes; Glue's defaults count as given", () => {
    expect(glueCsvDifferences(csvDialect(leads), definitionOf(leads))).to.deep.equal([]);
    expect(glueCsvDifferences(csvDialect(visits), definitionOf(visits))).to.deep.equal([]);
    // A table that leaves OpenCSVSerde's characters out reads with ',', '"' and '\'.
    const bare = { ...definitionOf(leads), serdeParameters: {} };
    expect(glueCsvDifferences(csvDialect(leads), bare)).to.deep.equal([]);
  });

  it("names each difference: SerDe, separator, escape, header lines, column order", () => {
    const d = csvDialect(leads);
    const other = (change: Partial<GlueCsvDefinition>) =>
      glueCsvDifferences(d, { ...definitionOf(leads), ...change });
    expect(other({ serdeParameters: { separatorChar: ";" } })).to.deep.equal([
      'separator ";" (the mapper says ",")',
    ]);
    expect(other({ tableParameters: {} })).to.deep.equal(["skip.header.line.count 0 (the mapper says 1)"]);
    expect(other({ columns: ["name", "customer_id", "email"] })).to.deep.equal([
      "columns name, customer_id, email (the mapper says customer_id, name, email)",
    ]);
    expect(other({ serdeParameters: { escapeChar: '"' } })).to.deep.equal([
      'escape "\\"" (the mapper says "\\\\")',
    ]);
    expect(glueCsvDifferences(csvDialect(visits), definitionOf(leads))[0]).to.match(
      /^SerDe org.apache.hadoop.hive.serde2.OpenCSVSerde \(the mapper says .*LazySimpleSerDe\)$/,
    );
  });

  it("on the emulator: find's Glue lookup refuses a mismatched table and reads a matching one", async () => {
    const glue = makeGlueClient();
    const db = `csv_${process.pid}`;
    await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: db } }));
    const create = (name: string, separator: string) => {
      const g = glueSerdeInfo(leads);
      return glue.send(
        new CreateTableCommand({
          DatabaseName: db,
          TableInput: {
            Name: name,
            Parameters: g.tableParameters,
            PartitionKeys: [{ Name: "dt", Type: "string" }],
            StorageDescriptor: {
              Location: `s3://lake/${name}/`,
              Columns: leads.columns.map((c) => ({ Name: c, Type: "string" })),
              SerdeInfo: {
                SerializationLibrary: g.serdeInfo.SerializationLibrary,
                Parameters: { ...g.serdeInfo.Parameters, separatorChar: separator },
              },
            },
          },
        }),
      );
    };
    await create("leads", ",");
    await create("leads_semicolon", ";");
    const mapper = (glueTable: string): DataMapper => ({
      name: "leads",
      glueDatabase: db,
      glueTable,
      location: `s3://lake/${glueTable}/`,
      idColumns: ["customer_id"],
      format: "csv",
      partitionColumns: ["dt"],
      csv: leads,
    });
    const facts = await glueTableFacts(glue, mapper("leads"));
    expect([...facts.columns.keys()]).to.deep.equal(["customer_id", "name", "email", "dt"]);
    const refused = await glueTableFacts(glue, mapper("leads_semicolon")).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(refused).to.be.instanceOf(FindInputError);
    expect(refused!.message).to.match(
      new RegExp(
        `Glue table ${db}.leads_semicolon reads its objects differently .*separator ";" \\(the mapper says ","\\)`,
      ),
    );
  });
});
