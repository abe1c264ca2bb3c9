// Find on an embedded engine, for local stacks: DuckDB over local copies of the mapper's objects
// (runtime/erasure/find/localCopies.ts), joined with the batch's manifest loaded through an appender
// (no ID in SQL text), typed and checked like the Athena finder, answering with s3:// paths.
// DuckDB is a devDependency: only local tooling loads this module, never a Lambda.
import * as path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { GlueClient } from "@aws-sdk/client-glue";
import type { DuckDBConnection } from "@duckdb/node-api";
import { DataMapper } from "../../contracts/mappers";
import { ManifestRef } from "../../contracts/messages";
import { lakeFormatOf } from "../../formats";
import { readManifest } from "../manifest";
import { checkFormat, Finder, FindInputError, FindOptions, FindResult } from "./finder";
import { checkKeys, ColumnTypes, IdColumn, joinCondition, resolveIdColumns } from "./idColumns";
import { copyMapperObjects, LocalCopy } from "./localCopies";
import { glueTableFacts } from "./glueSchema";
import { keysWrittenSince } from "./writtenSince";

export interface DuckDbFinderSettings {
  /** Where local copies are kept between finds (re-used while an object's ETag is unchanged). */
  cacheDir: string;
  /** Type the ID columns from the Glue catalog when given; otherwise from the objects themselves. */
  glue?: GlueClient;
  threads?: number;
}

/** The last find's copies, for callers that report bytes fetched as well as bytes needed. */
export interface DuckDbFindResult extends FindResult {
  objectsRead: number;
  bytesFetched: number;
}

/**
 * The engine, from this module's own packages or else the working directory's: local tooling runs a
 * packaged function from a temporary directory, and its zip rightly lacks this devDependency.
 */
function loadDuckDb(): typeof import("@duckdb/node-api") {
  try {
    return require("@duckdb/node-api");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw err;
    return require(require.resolve("@duckdb/node-api", { paths: [process.cwd()] }));
  }
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function readerFor(mapper: DataMapper, files: string[]): string {
  const list = `[${files.map(sqlString).join(", ")}]`;
  const hive =
    mapper.partitionColumns.length > 0
      ? `, hive_partitioning = true, hive_types = {${mapper.partitionColumns.map((c) => `${sqlString(c)}: 'VARCHAR'`).join(", ")}}`
      : ", hive_partitioning = false";
  return lakeFormatOf(mapper).localFind.duckDbRead(list, `filename = true, union_by_name = true${hive}`);
}

async function describe(conn: DuckDBConnection, mapper: DataMapper, from: string): Promise<ColumnTypes> {
  try {
    const reader = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`);
    return new Map(reader.getRowObjects().map((r) => [String(r.column_name), String(r.column_type)]));
  } catch (e) {
    throw new FindInputError(
      mapper.name,
      `the objects cannot be read as ${mapper.format}: ${(e as Error).message}`,
    );
  }
}

/** A Finder whose answers also say how many objects it read and how many bytes it fetched now. */
export interface DuckDbFinder extends Finder {
  findObjects(mapper: DataMapper, manifest: ManifestRef, options?: FindOptions): Promise<DuckDbFindResult>;
}

export function duckDbFinder(clients: { s3: S3Client }, settings: DuckDbFinderSettings): DuckDbFinder {
  return {
    async findObjects(mapper, manifest, options: FindOptions = {}): Promise<DuckDbFindResult> {
      checkFormat(mapper);
      const keys = await readManifest(clients.s3, manifest);
      const pruneColumn = mapper.partitionColumns[0];
      let columns: IdColumn[] | undefined;
      if (settings.glue) {
        columns = resolveIdColumns(mapper, (await glueTableFacts(settings.glue, mapper)).columns);
        checkKeys(mapper.name, columns, keys);
      } else if (keys.length === 0) {
        checkKeys(mapper.name, [], keys);
      }
      // Only what was written since then, in any partition.
      const only = options.since
        ? await keysWrittenSince(clients.s3, mapper, options.since, options.checked)
        : undefined;
      const copies = await copyMapperObjects(clients.s3, mapper, { cacheDir: settings.cacheDir, keys: only });
      const base = {
        objectsRead: copies.length,
        bytesScanned: copies.reduce((n, c) => n + c.bytesNeeded, 0),
        bytesFetched: copies.reduce((n, c) => n + c.bytesFetched, 0),
      };
      if (copies.length === 0) return { paths: [], ...base };
      const { DuckDBInstance } = loadDuckDb();
      const instance = await DuckDBInstance.create(":memory:", { threads: String(settings.threads ?? 2) });
      const conn = await instance.connect();
      try {
        const from = readerFor(
          mapper,
          copies.map((c) => c.file),
        );
        if (!columns) {
          columns = resolveIdColumns(mapper, await describe(conn, mapper, from));
          checkKeys(mapper.name, columns, keys);
        }
        if (pruneColumn && !(await describe(conn, mapper, from)).has(pruneColumn)) {
          throw new FindInputError(
            mapper.name,
            `partition column '${pruneColumn}' is not in the objects' paths`,
          );
        }
        const parts = columns.map((_, i) => `p${i + 1}`);
        await conn.run(`CREATE TABLE manifest (${parts.map((p) => `${p} VARCHAR`).join(", ")})`);
        const appender = await conn.createAppender("manifest");
        for (const key of keys) {
          for (const part of key) appender.appendVarchar(part);
          appender.endRow();
        }
        appender.closeSync();
        const on = joinCondition(columns, "t", (i) => `m.${parts[i]}`, "duckdb");
        const sql = `SELECT DISTINCT t.filename FROM ${from} AS t JOIN manifest AS m ON ${on}`;
        const reader = await conn.runAndReadAll(sql);
        const byFile = new Map<string, LocalCopy>(copies.map((c) => [path.resolve(c.file), c]));
        const paths = reader.getRows().map((r) => {
          const copy = byFile.get(path.resolve(String(r[0])));
          if (!copy) throw new Error(`DuckDB answered with a file that is not a copy: ${String(r[0])}`);
          return copy.s3Path;
        });
        return { paths: [...new Set(paths)].sort(), ...base };
      } finally {
        conn.closeSync();
        instance.closeSync();
      }
    },
  };
}
