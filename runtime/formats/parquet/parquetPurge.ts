// File-level purge of a Parquet object: row groups without a matching row are copied byte for byte,
// row groups with matches are re-encoded without those rows (rowGroupRewrite.ts), and a new footer is
// written from the ORIGINAL schema and key-value metadata with corrected offsets. Memory is bounded by
// the row groups in flight (`concurrency`), not by the file; a row group too big to hold whole is
// purged field by field (fieldByField.ts), so memory is bounded by its largest field.
import { availableParallelism } from "node:os";
import {
  ByteSource,
  Codec,
  F,
  Footer,
  MAGIC,
  ParquetFormatError,
  columnMeta,
  encodeFooter,
  readFooter,
  rowGroupRange,
  shiftChunk,
  withRowGroupColumns,
} from "./parquetFormat";
import { KeyMatcher, MatchSpecError, matchRows } from "../../subjects/matcher";
import { RewrittenChunk, UnfaithfulRewriteError, isSupportedCodec } from "./rowGroupRewrite";
import {
  RowGroupInput,
  RowGroupOutcome,
  footerOf,
  purgeRowGroup,
  readTopLevelFields,
  topLevelFieldsOf,
} from "./rowGroupPurge";
import {
  FIELD_BY_FIELD_FROM_BYTES,
  matchingRows,
  readFields,
  rewriteFieldByField,
  uncompressedBytes,
} from "./fieldByField";
import { RowGroupWorkerPool } from "./workerPool";
import { startDeflateThreads } from "./deflateThreads";
import { TStruct, TType, getI32, getI64, getStructList, i64 } from "./thriftCompact";
import { integerLeafPaths } from "./integerColumns";
import { leafOfColumn } from "./idLeaves";
import { isArrayPath, topLevelColumn } from "../../subjects/columnPath";
import { asCorrupt, checkArrowSchema, checkLayout, checkRowGroupPages } from "./objectIntegrity";
import { CorruptObjectError } from "../corruptObject";
import { SubjectIdError, integerIdProblem } from "../../subjects/subjectIds";
import type { ByteSink, PurgeOptions, PurgeStats, RowGroupStats } from "../lakeFormat";

export type { ByteSink, PurgeOptions, PurgeStats, RowGroupStats };

/** A row group purged field by field: nothing of it is held until it is written (fieldByField.ts). */
interface FieldByFieldOutcome {
  kind: "fields";
  rowsBefore: number;
  rowsAfter: number;
  drop: number[];
}

export { ParquetFormatError, MatchSpecError, UnfaithfulRewriteError, CorruptObjectError };

/** Checks that the file can be purged with this matcher before anything is written. */
export function validate(footer: Footer, matcher: KeyMatcher): void {
  for (const column of matcher.columns) {
    if (!leafOfColumn(footer.leaves, column)) {
      const known = footer.leaves.map((l) => l.path).join(", ");
      // A list named without `[]` (or a `[]` too many): say which path would read it.
      const top = topLevelColumn(column);
      const list = footer.leaves.some((l) => l.pathParts[0] === top && l.maxRepetitionLevel > 0);
      const hint = list && !isArrayPath(column) ? `; '${top}' is a list: name its elements with []` : "";
      throw new MatchSpecError(`unknown column '${column}' (the file has: ${known})${hint}`);
    }
  }
  validateIntegerIds(footer, matcher);
  for (const rg of footer.rowGroups) {
    for (const chunk of getStructList(rg, F.rowGroup.columns)) {
      const codec = getI32(columnMeta(chunk), F.meta.codec) ?? 0;
      if (!isSupportedCodec(codec)) {
        throw new UnfaithfulRewriteError(
          `compression codec ${codec} (LZO or Hadoop LZ4) cannot be written back`,
        );
      }
    }
  }
}

/** IDs for an integer column must be canonical integers: anything else would silently match nothing. */
function validateIntegerIds(footer: Footer, matcher: KeyMatcher): void {
  const integers = integerLeafPaths(footer);
  const problems: string[] = [];
  matcher.subjects.forEach((parts, i) => {
    for (let c = 0; c < matcher.columns.length; c++) {
      if (!integers.has(leafOfColumn(footer.leaves, matcher.columns[c])?.path ?? "")) continue;
      const problem = integerIdProblem(parts[c]);
      if (problem) {
        const which = matcher.columns.length > 1 ? ` part ${c + 1}` : "";
        problems.push(
          `ID ${matcher.positions[i]}${which}: column '${matcher.columns[c]}' holds integers and the ID ${problem}`,
        );
        break;
      }
    }
  });
  if (problems.length > 0) throw new MatchSpecError(new SubjectIdError(problems).message);
}

export async function purgeParquet(
  source: ByteSource,
  sink: ByteSink,
  matcher: KeyMatcher,
  options: PurgeOptions = {},
): Promise<PurgeStats> {
  const footer = await checkedFooter(source, matcher);
  const stats: PurgeStats = {
    rowsBefore: 0,
    rowsAfter: 0,
    rowsRemoved: 0,
    bytesIn: source.size,
    bytesOut: 0,
    rowGroups: [],
  };
  const outGroups: TStruct[] = [];
  let offset = 0;
  const emit = async (bytes: Uint8Array) => {
    await sink.write(bytes);
    offset += bytes.length;
  };
  const carry = async (
    to: NonNullable<ByteSink["carry"]>,
    { start, end }: { start: number; end: number },
  ) => {
    await to(start, end);
    offset += end - start;
  };
  // The source's own leading magic, carried when the sink can (it then joins the first row group's copy).
  if (sink.carry) await carry(sink.carry.bind(sink), { start: 0, end: MAGIC.length });
  else await emit(MAGIC);

  const workers = Math.min(options.workers ?? defaultWorkers(source.size, footer), footer.rowGroups.length);
  const pool = workers > 0 ? new RowGroupWorkerPool(workers, matcher) : undefined;
  if (!pool && usesGzip(footer)) startDeflateThreads();
  // Without workers, two row groups in flight let the deflate threads and zlib's inflates (libuv pool)
  // overlap the WASM work (a third measured no faster).
  const concurrency = Math.max(1, options.concurrency ?? workers + (pool ? 1 : 2));
  try {
    // A sliding window of row groups in flight; results are written strictly in order.
    const fieldByFieldFrom = options.fieldByFieldFromBytes ?? FIELD_BY_FIELD_FROM_BYTES;
    const inFlight: Promise<{
      index: number;
      bytes?: Uint8Array;
      start: number;
      outcome: RowGroupOutcome | FieldByFieldOutcome;
    }>[] = [];
    let next = 0;
    const launch = () => {
      if (next >= footer.rowGroups.length) return;
      const index = next++;
      const task = (async () => {
        const { start, end } = rowGroupRange(footer.rowGroups[index]);
        const rowsBefore = getI64(footer.rowGroups[index], F.rowGroup.numRows) ?? 0;
        // A sink that carries bytes over unread: the key fields decide, and only a row group holding a
        // match is read whole.
        let drop = sink.carry ? await keyFieldMatches(source, footer, index, matcher, rowsBefore) : undefined;
        if (drop?.length === 0) {
          const outcome: RowGroupOutcome = { kind: "copy", rowsBefore, rowsAfter: rowsBefore };
          return { index, start, outcome };
        }
        if (uncompressedBytes(footer.rowGroups[index]) >= fieldByFieldFrom) {
          drop ??= await matchingRows(source, footer, index, matcher);
          const outcome: FieldByFieldOutcome = {
            kind: "fields",
            rowsBefore,
            rowsAfter: rowsBefore - drop.length,
            drop,
          };
          return { index, start, outcome };
        }
        const bytes = await source.read(start, end - start);
        const input: RowGroupInput = {
          footer: footerOf(footer, index),
          index: 0,
          bytes,
          start,
          gzipLevel: options.gzipLevel,
        };
        let outcome: RowGroupOutcome;
        try {
          checkRowGroupPages(footer, index, bytes, start, source.name);
          outcome = pool ? await pool.run(input) : await purgeRowGroup(input, matcher);
        } catch (err) {
          throw asCorrupt(err, source.name, `row group ${index}`);
        }
        return { index, bytes, start, outcome };
      })();
      // Awaited in order below; until then a failure must not count as an unhandled rejection.
      task.catch(() => undefined);
      inFlight.push(task);
    };
    for (let i = 0; i < concurrency; i++) launch();
    while (inFlight.length > 0) {
      const { index, bytes, start: oldStart, outcome } = await inFlight.shift()!;
      launch();
      const rowGroup = footer.rowGroups[index];
      const fields = outcome.kind === "fields";
      stats.rowGroups.push({
        index,
        rowsBefore: outcome.rowsBefore,
        rowsAfter: outcome.rowsAfter,
        rewritten: outcome.kind === "rewrite" || (fields && outcome.drop.length > 0),
        ...(fields ? { fieldByField: true as const } : {}),
      });
      stats.rowsBefore += outcome.rowsBefore;
      stats.rowsAfter += outcome.rowsAfter;
      if (outcome.rowsAfter === 0) continue; // a row group that only held matching rows disappears
      const start = offset;
      if (outcome.kind === "fields" && outcome.drop.length > 0) {
        const original = getStructList(rowGroup, F.rowGroup.columns);
        const cols: TStruct[] = [];
        for await (const chunk of rewriteFieldByField(
          source,
          footer,
          index,
          outcome.drop,
          options.gzipLevel,
        )) {
          cols.push(placeChunk(original[cols.length], chunk, offset));
          await emit(chunk.bytes);
        }
        outGroups.push(withRowGroupColumns(rowGroup, cols, outcome.rowsAfter, start));
      } else if (outcome.kind === "copy" || outcome.kind === "fields") {
        if (bytes) await emit(bytes);
        else if (sink.carry) await carry(sink.carry.bind(sink), rowGroupRange(rowGroup));
        else await copyRange(source, rowGroupRange(rowGroup), emit);
        const cols = getStructList(rowGroup, F.rowGroup.columns).map((c) => shiftChunk(c, start - oldStart));
        outGroups.push(withRowGroupColumns(rowGroup, cols, outcome.rowsAfter, start));
      } else {
        const original = getStructList(rowGroup, F.rowGroup.columns);
        const cols: TStruct[] = [];
        for (let i = 0; i < outcome.chunks.length; i++) {
          cols.push(placeChunk(original[i], outcome.chunks[i], offset));
          await emit(outcome.chunks[i].bytes);
        }
        outGroups.push(withRowGroupColumns(rowGroup, cols, outcome.rowsAfter, start));
      }
    }
  } finally {
    await pool?.close();
  }
  await emit(encodeFooter(footer.raw, outGroups));
  stats.rowsRemoved = stats.rowsBefore - stats.rowsAfter;
  stats.bytesOut = offset;
  return stats;
}

/**
 * Worker threads pay off on more than 2 cores and files of some size. On 2 cores the main thread's WASM
 * work and the deflate threads (deflateThreads.ts) already keep both cores busy, with less CPU and one WASM heap
 * (measured: docs/purge.md).
 */
const WORKERS_FROM_BYTES = 8 * 1024 * 1024;

function defaultWorkers(size: number, footer: Footer): number {
  const cores = availableParallelism();
  return cores > 2 && size >= WORKERS_FROM_BYTES && footer.rowGroups.length > 1 ? cores : 0;
}

function usesGzip(footer: Footer): boolean {
  return footer.rowGroups.some((rg) =>
    getStructList(rg, F.rowGroup.columns).some((c) => getI32(columnMeta(c), F.meta.codec) === Codec.GZIP),
  );
}

/** Copies a byte range of the source in pieces (a big untouched row group is never held whole). */
async function copyRange(
  source: ByteSource,
  { start, end }: { start: number; end: number },
  emit: (bytes: Uint8Array) => Promise<void>,
): Promise<void> {
  for (let at = start; at < end; at += COPY_PIECE_BYTES) {
    await emit(await source.read(at, Math.min(COPY_PIECE_BYTES, end - at)));
  }
}

const COPY_PIECE_BYTES = 8 * 1024 * 1024;

/** The matching rows of row group `index`, its key fields' chunks alone read and checked. */
async function keyFieldMatches(
  source: ByteSource,
  footer: Footer,
  index: number,
  matcher: KeyMatcher,
  rows: number,
): Promise<number[]> {
  try {
    const keyFields = topLevelFieldsOf(footer, matcher.columns);
    const input = await readFields(source, footer, index, keyFields);
    checkRowGroupPages(footer, index, input.bytes, input.start, source.name, keyFields);
    const table = await readTopLevelFields(input, keyFields);
    if (table.numRows !== rows)
      throw new Error(`decodes to ${table.numRows} rows, its metadata says ${rows}`);
    const drop: number[] = [];
    matchRows(table, matcher, (row) => drop.push(row));
    return drop;
  } catch (err) {
    throw asCorrupt(err, source.name, `row group ${index}`);
  }
}

/** Count, per matching key, the rows of every row group (for `scan`), reading only the key fields. */
export async function scanParquet(
  source: ByteSource,
  matcher: KeyMatcher,
): Promise<{ rows: number; matches: Map<string, number> }> {
  const footer = await checkedFooter(source, matcher);
  const matches = new Map<string, number>();
  let rows = 0;
  for (let index = 0; index < footer.rowGroups.length; index++) {
    const numRows = getI64(footer.rowGroups[index], F.rowGroup.numRows) ?? 0;
    rows += numRows;
    try {
      // Only the key fields' chunks are read, and only their pages are checked.
      const keyFields = topLevelFieldsOf(footer, matcher.columns);
      const input = await readFields(source, footer, index, keyFields);
      checkRowGroupPages(footer, index, input.bytes, input.start, source.name, keyFields);
      const table = await readTopLevelFields(input, keyFields);
      if (table.numRows !== numRows)
        throw new Error(`decodes to ${table.numRows} rows, its metadata says ${numRows}`);
      matchRows(table, matcher, (_row, key) => matches.set(key, (matches.get(key) ?? 0) + 1));
    } catch (err) {
      throw asCorrupt(err, source.name, `row group ${index}`);
    }
  }
  return { rows, matches };
}

/** The footer, decoded, checked against the file's size and against the matcher. */
async function checkedFooter(source: ByteSource, matcher: KeyMatcher): Promise<Footer> {
  const footer = await readFooter(source);
  try {
    checkLayout(footer, source.size, source.name);
    checkArrowSchema(footer, source.name);
    validate(footer, matcher);
  } catch (err) {
    throw asCorrupt(err, source.name, "footer");
  }
  return footer;
}

/** The ColumnChunk for a rewritten chunk placed at `at` in the output. */
function placeChunk(original: TStruct, chunk: RewrittenChunk, at: number): TStruct {
  const meta: TStruct = new Map(chunk.meta);
  meta.set(F.meta.dataPageOffset, i64(at + (getI64(meta, F.meta.dataPageOffset) ?? 0)));
  const dict = getI64(meta, F.meta.dictionaryPageOffset);
  if (dict !== undefined) meta.set(F.meta.dictionaryPageOffset, i64(at + dict));
  // The writer's own per-column key-value metadata is replaced by the input's.
  const originalKeyValue = columnMeta(original).get(F.meta.keyValue);
  if (originalKeyValue) meta.set(F.meta.keyValue, originalKeyValue);
  else meta.delete(F.meta.keyValue);
  const out = shiftChunk(original, 0); // drops page index and bloom filter pointers
  out.set(F.chunk.metaData, { t: TType.Struct, v: meta });
  const fileOffset = getI64(original, F.chunk.fileOffset);
  if (fileOffset !== undefined && fileOffset > 0) out.set(F.chunk.fileOffset, i64(at));
  return out;
}
