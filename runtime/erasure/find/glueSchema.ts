// A mapper's columns as the Glue Data Catalog types them (data columns and partition keys).
import { GetTableCommand, GlueClient } from "@aws-sdk/client-glue";
import { DataMapper } from "../../contracts/mappers";
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
  const columns = new Map<string, string>();
  for (const c of table?.StorageDescriptor?.Columns ?? []) columns.set(c.Name!, c.Type ?? "");
  const partitionKeys = (table?.PartitionKeys ?? []).map((k) => k.Name!);
  for (const k of table?.PartitionKeys ?? []) columns.set(k.Name!, k.Type ?? "string");
  return { columns, partitionKeys };
}
