// The indexer: keeps the index metastore in step with the lake. A new object version under a mapper's
// location gets one entry per subject it holds (read from its ID columns only); a permanently deleted
// version loses its entries. A delete marker changes nothing: the versions under it still hold rows.
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DataMapper, deletesObjects, mapperHolds } from "../../contracts/mappers";
import { headObject } from "../../purge/s3Objects";
import { keysInObject } from "./objectKeys";
import { HashSubject, removeVersionEntries, writeVersionEntries } from "./indexStore";

export interface IndexerDeps {
  s3: S3Client;
  doc: DynamoDBDocumentClient;
  indexTable: string;
  mappers: DataMapper[];
  hashSubject: HashSubject;
}

export interface ObjectEvent {
  /** S3's event name, e.g. `ObjectCreated:Put`, `ObjectRemoved:Delete`. */
  eventName: string;
  bucket: string;
  key: string;
  versionId?: string;
}

export interface IndexOutcome {
  bucket: string;
  key: string;
  versionId?: string;
  action: "indexed" | "removed" | "ignored";
  mapper?: string;
  /** Subjects written (indexed) or entries removed. */
  entries: number;
  rows?: number;
  /** Bytes of the version read (the footer and ID column chunks of a Parquet object). */
  bytesRead?: number;
  reason?: string;
}

/** The records of an S3 notification (keys arrive URL-encoded, spaces as `+`). */
export function objectEvents(event: unknown): ObjectEvent[] {
  const records = (event as { Records?: unknown[] })?.Records;
  if (!Array.isArray(records))
    throw new Error('expected an S3 notification: {"Records": [{"eventName": ..., "s3": ...}]}');
  return records.map((r) => {
    const rec = r as {
      eventName?: string;
      s3?: { bucket?: { name?: string }; object?: { key?: string; versionId?: string } };
    };
    const bucket = rec.s3?.bucket?.name;
    const key = rec.s3?.object?.key;
    if (!rec.eventName || !bucket || key === undefined)
      throw new Error("an S3 record lacks eventName, bucket or key");
    const versionId = rec.s3?.object?.versionId;
    return {
      eventName: rec.eventName,
      bucket,
      key: decodeURIComponent(key.replace(/\+/g, " ")),
      // "null" too: the version written while versioning was off or suspended, addressed as S3 lists it.
      ...(versionId ? { versionId } : {}),
    };
  });
}

export async function indexObjectVersion(
  deps: IndexerDeps,
  mapper: DataMapper,
  bucket: string,
  key: string,
  versionId?: string,
): Promise<IndexOutcome> {
  const version = await headObject(deps.s3, bucket, key, versionId);
  const found = await keysInObject(deps.s3, version, mapper);
  const entries = await writeVersionEntries(
    deps.doc,
    deps.indexTable,
    { mapper: mapper.name, bucket, key, versionId: version.versionId },
    found.keys,
    mapper.idColumns.length,
    deps.hashSubject,
  );
  return {
    bucket,
    key,
    versionId: version.versionId,
    action: "indexed",
    mapper: mapper.name,
    entries,
    rows: found.rows,
  };
}

export async function handleObjectEvent(deps: IndexerDeps, e: ObjectEvent): Promise<IndexOutcome> {
  const base = { bucket: e.bucket, key: e.key, versionId: e.versionId };
  const mapper = deps.mappers.find((m) => mapperHolds(m, e.bucket, e.key));
  if (!mapper) return { ...base, action: "ignored", entries: 0, reason: "under no data mapper's location" };
  if (deletesObjects(mapper))
    return {
      ...base,
      action: "ignored",
      mapper: mapper.name,
      entries: 0,
      reason: "its key names its subject",
    };
  if (e.eventName.startsWith("ObjectCreated:")) {
    return indexObjectVersion(deps, mapper, e.bucket, e.key, e.versionId);
  }
  if (e.eventName === "ObjectRemoved:Delete") {
    if (!e.versionId)
      return { ...base, action: "ignored", mapper: mapper.name, entries: 0, reason: "no version id" };
    const entries = await removeVersionEntries(deps.doc, deps.indexTable, { mapper: mapper.name, ...e });
    return { ...base, action: "removed", mapper: mapper.name, entries };
  }
  return {
    ...base,
    action: "ignored",
    mapper: mapper.name,
    entries: 0,
    reason: `${e.eventName} leaves every version in place`,
  };
}
