// What a lake object format must do, in one interface: each format lives in its own folder
// (runtime/formats/<format>/) and is registered once in runtime/formats/index.ts, chosen there by the
// data mapper's `format`. The purge, the verify pass, the indexer and the local find engine reach a
// format only through this interface.
import type { DataMapperFormat } from "../contracts/mappers";
import type { KeyMatcher } from "../subjects/matcher";
import type { ByteSource } from "./byteSource";

export type { ByteSource };

export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Appends the source's bytes [start, end) without the format reading them: a sink that can copy them
   * where they are (runtime/purge/multipartPlan.ts: S3's UploadPartCopy). A format that has it may decide
   * from the key columns alone and carry untouched parts of the object over unread.
   */
  carry?(start: number, end: number): Promise<void>;
}

export interface RowGroupStats {
  index: number;
  rowsBefore: number;
  rowsAfter: number;
  /** false: copied byte for byte. */
  rewritten: boolean;
  /** Present (true) when the row group was big enough to be purged field by field. */
  fieldByField?: true;
}

export interface PurgeStats {
  rowsBefore: number;
  rowsAfter: number;
  rowsRemoved: number;
  bytesIn: number;
  bytesOut: number;
  /** Parquet: one per row group; a format without row groups reports the object as one. */
  rowGroups: RowGroupStats[];
  /** Rows kept with their personal columns masked (the `mask` strategy); absent or 0 otherwise. */
  rowsMasked?: number;
}

/**
 * A `mask` mapper's masking (docs/purge.md, "Strategies"): each matching row is kept with these
 * columns set to null or to its subject's keyed hash, and its array-of-IDs column's matching elements
 * removed.
 */
export interface RowMasking {
  /** Column path (dotted into objects, no `[]`) -> what it becomes. */
  columns: Readonly<Record<string, "null" | "hash">>;
  /** The subject's keyed hash (runtime/subjects/subjectHash.ts) of a key given as its parts. */
  hashOf(parts: readonly string[]): string;
}

/** Tuning of a purge; a format ignores what it has no use for (JSON Lines uses none of it). */
export interface PurgeOptions {
  /** Worker threads (0: all WASM work in this thread). Default: one per core on more than 2 cores, else 0. */
  workers?: number;
  /**
   * zlib level for re-encoded GZIP pages: 1 (fastest) to 9 (smallest), with zlib's Z_FILTERED strategy.
   * Default 5 (runtime/formats/parquet/pages.ts says why).
   */
  gzipLevel?: number;
  /** Row groups read and in flight at once (bounds memory). Default: workers + 1 (workers), 2 (none). */
  concurrency?: number;
  /**
   * Row groups of at least this many uncompressed bytes (their footer's total_byte_size) are read and
   * rewritten one top-level field at a time, in this thread: memory is then bounded by the largest
   * field, not the row group. Default 64 MiB (a whole-row-group rewrite peaks at ~8x its uncompressed size).
   */
  fieldByFieldFromBytes?: number;
  /**
   * Objects of at least this many bytes are written back as a multipart upload whose untouched parts
   * are copied server-side, unread (runtime/purge/objectPurge.ts). Default 16 MiB.
   */
  multipartFromBytes?: number;
  /** Part sizes of those uploads (tests shrink them); default S3's (runtime/purge/multipartPlan.ts). */
  partSizes?: { minPart: number; uploadPart: number; maxPart: number };
}

/** Which of the matcher's keys an object holds, and in how many rows; `rows` counts every row. */
export interface ObjectScan {
  rows: number;
  matches: Map<string, number>;
}

/** Every subject key of an object: `keyText` of its ID columns' values, with their row counts. */
export interface KeysInObject {
  rows: number;
  keys: Map<string, number>;
}

/** How the local find engine (runtime/erasure/find/duckdbFinder.ts) reads objects of this format. */
export interface LocalFindReader {
  /** The columns a local copy holds, sorted (empty: the whole object); part of the copy's cache tag. */
  copiedColumns(idColumns: readonly string[]): string[];
  /** Writes the local copy of `source` (those columns, or all of it) to `file`; returns the bytes read. */
  copy(source: ByteSource, columns: readonly string[], file: string): Promise<number>;
  /** DuckDB's read of the copies: `files` a SQL list of paths, `options` the shared reader options. */
  duckDbRead(files: string, options: string): string;
}

export interface LakeFormat {
  /** The data mapper's `format` this implements. */
  readonly name: DataMapperFormat;
  /** What messages call it: "Parquet", "gzip-compressed JSON Lines". */
  readonly title: string;
  /** Whether an object of `size` bytes whose first bytes (at most 64) are `head` can be of this format. */
  matchesHead(head: Uint8Array, size: number): boolean;
  /** Which of the matcher's keys occur, in how many rows (nothing written). */
  scan(source: ByteSource, matcher: KeyMatcher): Promise<ObjectScan>;
  /**
   * Writes the object without the matching rows to `sink`, every other row kept. The matcher is a set
   * of subjects' keys, or a row predicate beside it (retention: runtime/subjects/olderThan.ts) that a
   * format applies the same way, through `matcher.has` and `matchRows`.
   */
  purge(source: ByteSource, sink: ByteSink, matcher: KeyMatcher, options?: PurgeOptions): Promise<PurgeStats>;
  /**
   * Writes the object with every matching row masked (RowMasking) to `sink`, no row removed; absent for
   * a format that cannot mask yet (infra/config.ts refuses the strategy for it at preview).
   */
  mask?(source: ByteSource, sink: ByteSink, matcher: KeyMatcher, masking: RowMasking): Promise<PurgeStats>;
  /** Every subject key of the object (the indexer and the backfill), reading only what holds them. */
  keysInObject(source: ByteSource, idColumns: readonly string[]): Promise<KeysInObject>;
  localFind: LocalFindReader;
  /** Whether `err` is this format's refusal of an object (no retry cures it: a person decides). */
  isRefusal(err: unknown): boolean;
}
