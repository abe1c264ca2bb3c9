// The question every engine answers: which objects of a data mapper hold a row of any subject in the
// batch manifest. Athena answers it deployed; DuckDB over local copies answers it for `local: true`.
import { DataMapper, dataMapperFormats } from "../../contracts/mappers";
import { ManifestRef } from "../../contracts/messages";

export interface FindOptions {
  /**
   * Only objects written at or after this time, in whatever partition (verify re-runs find over what
   * landed since find began): S3's write time, less `uploadMarginMs` (./writtenSince.ts).
   */
  since?: Date;
  /** With `since`: objects (`s3://bucket/key`) whose every version the caller checks itself. */
  checked?: ReadonlySet<string>;
}

export interface FindResult {
  /** `s3://bucket/key` of every current object holding a match, sorted, no duplicates. */
  paths: string[];
  /** Bytes of the lake the engine read to answer (Athena's DataScannedInBytes, summed per query). */
  bytesScanned: number;
}

export interface Finder {
  findObjects(mapper: DataMapper, manifest: ManifestRef, options?: FindOptions): Promise<FindResult>;
}

/** Bad input (a column, a type, an ID, the format): refused before any query runs. */
export class FindInputError extends Error {
  constructor(
    readonly mapper: string,
    message: string,
  ) {
    super(`mapper "${mapper}": ${message}`);
    this.name = "FindInputError";
  }
}

/** A query that did not answer (failed, cancelled, or stopped by the workgroup's bytes-scanned cutoff). */
export class FindQueryError extends Error {
  constructor(
    readonly mapper: string,
    message: string,
    readonly cutoff = false,
  ) {
    super(`mapper "${mapper}": ${message}`);
    this.name = "FindQueryError";
  }
}

/** Refuses a mapper whose format no engine reads (mappers from the environment are checked again here). */
export function checkFormat(mapper: DataMapper): void {
  if (!dataMapperFormats.includes(mapper.format)) {
    throw new FindInputError(
      mapper.name,
      `format ${JSON.stringify(mapper.format)} is not one of ${dataMapperFormats.join(", ")}`,
    );
  }
}
