// The Glue Data Catalog as Iceberg's catalog: the table's `metadata_location` parameter names its
// current metadata file, and a commit swaps it with optimistic concurrency: UpdateTable carries the
// VersionId read with the plan (Glue refuses a stale one), and the location is checked once more just
// before, so a commit made meanwhile by another writer is never overwritten: Lethe re-plans instead.
import { GetTableCommand, GlueClient, UpdateTableCommand, type Table } from "@aws-sdk/client-glue";

export interface IcebergGlueTable {
  database: string;
  name: string;
  metadataLocation: string;
  versionId?: string;
  table: Table;
}

export async function getIcebergTable(
  glue: GlueClient,
  database: string,
  name: string,
): Promise<IcebergGlueTable> {
  const { Table: table } = await glue.send(new GetTableCommand({ DatabaseName: database, Name: name }));
  if (!table) throw new Error(`Glue table ${database}.${name} not found`);
  const params = table.Parameters ?? {};
  if ((params.table_type ?? "").toUpperCase() !== "ICEBERG")
    throw new Error(
      `Glue table ${database}.${name} is not an Iceberg table (table_type ${params.table_type ?? "unset"})`,
    );
  if (!params.metadata_location) throw new Error(`Glue table ${database}.${name} has no metadata_location`);
  return { database, name, metadataLocation: params.metadata_location, versionId: table.VersionId, table };
}

/** Another writer committed since the plan: re-plan on the new metadata. */
export class ConcurrentCommitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConcurrentCommitError";
  }
}

/** Points the Glue table at `newLocation`, if it still points at the plan's metadata. */
export async function commitMetadataLocation(
  glue: GlueClient,
  planned: IcebergGlueTable,
  newLocation: string,
): Promise<void> {
  const now = await getIcebergTable(glue, planned.database, planned.name);
  if (now.metadataLocation !== planned.metadataLocation || now.versionId !== planned.versionId)
    throw new ConcurrentCommitError(`${planned.database}.${planned.name} was committed to since the plan`);
  const t = now.table;
  try {
    await glue.send(
      new UpdateTableCommand({
        DatabaseName: planned.database,
        VersionId: planned.versionId,
        TableInput: {
          Name: t.Name,
          Description: t.Description,
          Owner: t.Owner,
          Retention: t.Retention,
          StorageDescriptor: t.StorageDescriptor,
          PartitionKeys: t.PartitionKeys,
          TableType: t.TableType,
          Parameters: {
            ...t.Parameters,
            metadata_location: newLocation,
            previous_metadata_location: planned.metadataLocation,
          },
        },
      }),
    );
  } catch (err) {
    if ((err as { name?: string }).name === "ConcurrentModificationException")
      throw new ConcurrentCommitError(`${planned.database}.${planned.name}: ${(err as Error).message}`);
    throw err;
  }
}
