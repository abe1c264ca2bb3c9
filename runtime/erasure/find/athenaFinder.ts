// Find on Athena: per mapper one `SELECT DISTINCT "$path"` joined with the batch's manifest partition
// (no ID in the SQL text, no query-length limit), typed by the Glue catalog, checked before it runs.
import { AthenaClient } from "@aws-sdk/client-athena";
import { GlueClient } from "@aws-sdk/client-glue";
import { S3Client } from "@aws-sdk/client-s3";
import { DataMapper } from "../../contracts/mappers";
import { ManifestRef } from "../../contracts/messages";
import { manifestTable } from "../../contracts/lakeSchema";
import { manifestBatchId, readManifest } from "../manifest";
import { checkFormat, Finder, FindInputError, FindOptions, FindQueryError, FindResult } from "./finder";
import { checkKeys, IdColumn, joinCondition, quotedName, quotedPath, resolveIdColumns } from "./idColumns";
import { AthenaSettings, runAthenaQuery } from "./athenaQuery";
import { glueTableFacts } from "./glueSchema";
import { keysWrittenSince, partitionValue } from "./writtenSince";

export interface AthenaFinderSettings extends AthenaSettings {
  /** The Glue database holding the manifest table. */
  manifestDatabase: string;
}

export interface AthenaFindQuery {
  sql: string;
  parameters: string[];
}

/**
 * The query for one mapper (exported for tests and for reviewers of what runs); `partitions`, when
 * given, limits it to those values of `pruneColumn`.
 */
export function athenaFindQuery(
  mapper: DataMapper,
  columns: IdColumn[],
  manifestDatabase: string,
  batchId: string,
  pruneColumn?: string,
  partitions?: string[],
): AthenaFindQuery {
  const on = joinCondition(
    columns,
    "t",
    (i) => `m.${quotedName(manifestTable.idColumn)}[${i + 1}]`,
    "athena",
  );
  const parameters = [`'${batchId}'`];
  let sql =
    `SELECT DISTINCT t."$path" FROM ${quotedName(mapper.glueDatabase)}.${quotedName(mapper.glueTable)} AS t ` +
    `JOIN ${quotedName(manifestDatabase)}.${quotedName(manifestTable.name)} AS m ON ${on} ` +
    `WHERE m.${quotedName(manifestTable.partitionKey)} = ?`;
  if (pruneColumn && partitions) {
    sql += ` AND ${quotedPath(pruneColumn, "t")} IN (${partitions.map(() => "?").join(", ")})`;
    for (const p of partitions) parameters.push(`'${p.replace(/'/g, "''")}'`);
  }
  return { sql, parameters };
}

export function athenaFinder(
  clients: { athena: AthenaClient; glue: GlueClient; s3: S3Client },
  settings: AthenaFinderSettings,
): Finder {
  return {
    async findObjects(
      mapper: DataMapper,
      manifest: ManifestRef,
      options: FindOptions = {},
    ): Promise<FindResult> {
      checkFormat(mapper);
      const facts = await glueTableFacts(clients.glue, mapper);
      const columns = resolveIdColumns(mapper, facts.columns);
      const pruneColumn = mapper.partitionColumns[0];
      if (pruneColumn !== undefined && !facts.partitionKeys.includes(pruneColumn)) {
        throw new FindInputError(
          mapper.name,
          `partition column '${pruneColumn}' is not a partition key of the table`,
        );
      }
      checkKeys(mapper.name, columns, await readManifest(clients.s3, manifest));
      let partitions: string[] | undefined;
      if (options.since) {
        // Only the partitions that objects written since then are in (any of them, old or new).
        const keys = await keysWrittenSince(clients.s3, mapper, options.since, options.checked);
        if (keys.length === 0) return { paths: [], bytesScanned: 0 };
        const values = pruneColumn ? keys.map((k) => partitionValue(k, pruneColumn)) : [];
        if (pruneColumn && values.every((v) => v !== undefined)) partitions = [...new Set(values)].sort();
      }
      const batchId = manifestBatchId(manifest);
      const query = athenaFindQuery(
        mapper,
        columns,
        settings.manifestDatabase,
        batchId,
        pruneColumn,
        partitions,
      );
      const answer = await runAthenaQuery(clients.athena, mapper.name, query.sql, query.parameters, settings);
      const paths = answer.rows.map((r) => r[0]);
      if (paths.some((p) => !p?.startsWith("s3://"))) {
        throw new FindQueryError(
          mapper.name,
          `Athena query ${answer.queryExecutionId} returned a row that is not an s3:// path`,
        );
      }
      return { paths: [...new Set(paths as string[])].sort(), bytesScanned: answer.bytesScanned };
    },
  };
}
