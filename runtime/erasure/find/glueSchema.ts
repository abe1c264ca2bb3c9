// A mapper's columns as the Glue Data Catalog types them (data columns and partition keys); for a CSV
// or TSV mapper, also a check that the table reads its objects as the mapper's `csv` options do.
import { GetTableCommand, GlueClient } from "@aws-sdk/client-glue";
import { DataMapper } from "../../contracts/mappers";
import { csvDialect } from "../../formats/csv/dialect";
import { glueCsvDifferences } from "../../formats/csv/glueTable";
import { ColumnTypes } from "./idColumns";
import { FindInputError } from "./finder";

export interface GlueTableFacts {
  columns: ColumnTypes;
  partitionKeys: string[];
}

export async function glueTableFacts(glue: GlueClient, mapper: DataMapper): Promise<GlueTableFacts> {
  let table;
  try {
    ({ Table: table } = await glue.send(
      new GetTableCommand({ DatabaseName: mapper.glueDatabase, Name: mapper.glueTable }),
    ));
  } catch (e) {
    if ((e as { name?: string }).name === "EntityNotFoundException") {
      throw new FindInputError(
        mapper.name,
        `Glue table ${mapper.glueDatabase}.${mapper.glueTable} does not exist`,
      );
    }
    throw e;
  }
  if (mapper.csv) {
    const differences = glueCsvDifferences(csvDialect(mapper.csv), {
      serializationLibrary: table?.StorageDescriptor?.SerdeInfo?.SerializationLibrary,
      serdeParameters: table?.StorageDescriptor?.SerdeInfo?.Parameters,
      tableParameters: table?.Parameters,
      columns: (table?.StorageDescriptor?.Columns ?? []).map((c) => c.Name!),
    });
    if (differences.length > 0)
      throw new FindInputError(
        mapper.name,
        `Glue table ${mapper.glueDatabase}.${mapper.glueTable} reads its objects differently from the ` +
          `mapper's csv options, so find and purge would see different rows: ${differences.join("; ")}`,
      );
  }
  const columns = new Map<string, string>();
  for (const c of table?.StorageDescriptor?.Columns ?? []) columns.set(c.Name!, c.Type ?? "");
  const partitionKeys = (table?.PartitionKeys ?? []).map((k) => k.Name!);
  for (const k of table?.PartitionKeys ?? []) columns.set(k.Name!, k.Type ?? "string");
  return { columns, partitionKeys };
}
