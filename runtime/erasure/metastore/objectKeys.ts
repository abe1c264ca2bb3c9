// Every subject key in one object version and its row count, read as the mapper's format reads it
// (runtime/formats/<format>/objectKeys.ts: Parquet reads only the footer and the ID columns' chunks,
// JSON Lines the whole object); counts the bytes fetched.
import { S3Client } from "@aws-sdk/client-s3";
import { DataMapper } from "../../contracts/mappers";
import { lakeFormatOf } from "../../formats";
import { ObjectVersion, versionSource } from "../../purge/s3Objects";

export interface ObjectKeys {
  rows: number;
  /** Keys as the matcher writes them (`keyText`: exact, composite parts never ambiguous), with their row counts. */
  keys: Map<string, number>;
  bytesRead: number;
}

export async function keysInObject(
  s3: S3Client,
  version: ObjectVersion,
  mapper: DataMapper,
): Promise<ObjectKeys> {
  let bytesRead = 0;
  const source = versionSource(s3, version);
  const counted = {
    size: source.size,
    name: source.name,
    read: async (o: number, n: number) => ((bytesRead += n), source.read(o, n)),
  };
  const { rows, keys } = await lakeFormatOf(mapper).keysInObject(counted, mapper.idColumns);
  return { rows, keys, bytesRead };
}
