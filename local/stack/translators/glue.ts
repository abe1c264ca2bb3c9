// Glue: the lake's database and table (schema, partition keys, projection parameters, location) and
// the catalog's encryption settings.
import {
  CreateDatabaseCommand,
  CreateTableCommand,
  DeleteDatabaseCommand,
  DeleteTableCommand,
  GetDatabaseCommand,
  GetTableCommand,
  PutDataCatalogEncryptionSettingsCommand,
  TableInput,
  UpdateDatabaseCommand,
  UpdateTableCommand,
} from "@aws-sdk/client-glue";
import { Declared, ignoringMissing, isMissing, ResourceTranslator } from "../context";

async function exists(get: () => Promise<unknown>): Promise<boolean> {
  try {
    await get();
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

type Column = { name: string; type: string; comment?: string };
const column = (c: Column) => ({ Name: c.name, Type: c.type, ...(c.comment ? { Comment: c.comment } : {}) });

function tableInput(r: Declared): TableInput {
  const i = r.inputs;
  const sd = i.storageDescriptor ?? {};
  return {
    Name: r.mocked.name,
    TableType: i.tableType,
    Parameters: i.parameters,
    PartitionKeys: ((i.partitionKeys ?? []) as Column[]).map(column),
    StorageDescriptor: {
      Columns: ((sd.columns ?? []) as Column[]).map(column),
      Location: sd.location,
      InputFormat: sd.inputFormat,
      OutputFormat: sd.outputFormat,
      ...(sd.serDeInfo
        ? {
            SerdeInfo: {
              Name: sd.serDeInfo.name,
              SerializationLibrary: sd.serDeInfo.serializationLibrary,
              Parameters: sd.serDeInfo.parameters,
            },
          }
        : {}),
    },
  };
}

export const glueTranslators: Record<string, ResourceTranslator> = {
  "aws:glue/catalogDatabase:CatalogDatabase": {
    async up(r, ctx) {
      const glue = ctx.clients.glue;
      const Name = r.mocked.name as string;
      const DatabaseInput = { Name, Description: r.inputs.description, Parameters: r.inputs.parameters };
      if (await exists(() => glue.send(new GetDatabaseCommand({ Name }))))
        await glue.send(new UpdateDatabaseCommand({ Name, DatabaseInput }));
      else await glue.send(new CreateDatabaseCommand({ DatabaseInput, Tags: r.inputs.tags }));
    },
    down: (r, ctx) =>
      ignoringMissing(() => ctx.clients.glue.send(new DeleteDatabaseCommand({ Name: r.mocked.name }))),
  },
  "aws:glue/catalogTable:CatalogTable": {
    async up(r, ctx) {
      const glue = ctx.clients.glue;
      const DatabaseName = r.inputs.databaseName as string;
      const TableInput = tableInput(r);
      if (await exists(() => glue.send(new GetTableCommand({ DatabaseName, Name: TableInput.Name }))))
        await glue.send(new UpdateTableCommand({ DatabaseName, TableInput }));
      else await glue.send(new CreateTableCommand({ DatabaseName, TableInput }));
    },
    down: (r, ctx) =>
      ignoringMissing(() =>
        ctx.clients.glue.send(
          new DeleteTableCommand({ DatabaseName: r.inputs.databaseName, Name: r.mocked.name }),
        ),
      ),
  },
  "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings": {
    async up(r, ctx) {
      const s = r.inputs.dataCatalogEncryptionSettings;
      await ctx.clients.glue.send(
        new PutDataCatalogEncryptionSettingsCommand({
          DataCatalogEncryptionSettings: {
            EncryptionAtRest: {
              CatalogEncryptionMode: s.encryptionAtRest.catalogEncryptionMode,
              SseAwsKmsKeyId: s.encryptionAtRest.sseAwsKmsKeyId,
            },
            ConnectionPasswordEncryption: {
              ReturnConnectionPasswordEncrypted:
                s.connectionPasswordEncryption.returnConnectionPasswordEncrypted,
              AwsKmsKeyId: s.connectionPasswordEncryption.awsKmsKeyId,
            },
          },
        }),
      );
    },
    // Account-wide settings cannot be deleted, only turned off.
    async down(_r, ctx) {
      await ctx.clients.glue.send(
        new PutDataCatalogEncryptionSettingsCommand({
          DataCatalogEncryptionSettings: {
            EncryptionAtRest: { CatalogEncryptionMode: "DISABLED" },
            ConnectionPasswordEncryption: { ReturnConnectionPasswordEncrypted: false },
          },
        }),
      );
    },
  },
};
