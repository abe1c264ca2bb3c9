// The new version of a large object as a plan for a multipart upload: what the format writes goes to a
// temporary file, what it carries over unread (ByteSink.carry: untouched Parquet row groups) stays a
// byte range of the version being purged. The plan then becomes parts: long carried ranges are copied
// server-side (UploadPartCopy), everything else is uploaded, and a carried range too short for a part
// of its own (S3 wants 5 MiB but for the last part) is downloaded into its neighbour's part.
import * as fs from "node:fs";
import type { ByteSink, PurgeOptions } from "../formats/lakeFormat";

/** `carried`: bytes [start, end) of the version read; `written`: bytes [start, end) of the temporary file. */
export interface Segment {
  kind: "carried" | "written";
  start: number;
  end: number;
}

export type PlannedPart =
  { kind: "copy"; start: number; end: number } | { kind: "upload"; pieces: Segment[]; length: number };

/**
 * minPart: S3's minimum for every part but the last (5 MiB); uploadPart: uploaded parts are cut at this
 * size (each is held in memory while it uploads); maxPart: S3's maximum for one part (5 GiB).
 */
export type PartSizes = NonNullable<PurgeOptions["partSizes"]>;

export const S3_PART_SIZES: PartSizes = {
  minPart: 5 * 1024 * 1024,
  uploadPart: 16 * 1024 * 1024,
  maxPart: 5 * 1024 * 1024 * 1024,
};

/** S3's limit on the parts of one upload. */
export const MAX_PARTS = 10_000;

/** A sink recording the plan: written bytes appended to `file`, carried ranges kept as ranges. */
export class PlanSink implements ByteSink {
  readonly segments: Segment[] = [];
  private written = 0;

  constructor(private readonly file: fs.promises.FileHandle) {}

  /** Bytes of the new version so far. */
  get length(): number {
    return this.segments.reduce((n, s) => n + s.end - s.start, 0);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    await this.file.write(bytes, 0, bytes.length, this.written);
    this.add({ kind: "written", start: this.written, end: this.written + bytes.length });
    this.written += bytes.length;
  }

  async carry(start: number, end: number): Promise<void> {
    if (end > start) this.add({ kind: "carried", start, end });
  }

  private add(s: Segment): void {
    const last = this.segments[this.segments.length - 1];
    if (last && last.kind === s.kind && last.end === s.start) last.end = s.end;
    else this.segments.push(s);
  }
}

/** Parts for the segments, in order; every part but the last at least `minPart`, none above `maxPart`. */
export function planParts(segments: readonly Segment[], sizes: PartSizes = S3_PART_SIZES): PlannedPart[] {
  const { minPart, uploadPart, maxPart } = sizes;
  const parts: PlannedPart[] = [];
  let pending: Segment[] = [];
  let pendingLength = 0;
  const flush = () => {
    if (pendingLength > 0) parts.push({ kind: "upload", pieces: pending, length: pendingLength });
    pending = [];
    pendingLength = 0;
  };
  const addPending = ({ kind, start, end }: Segment) => {
    while (start < end) {
      const take = Math.min(end - start, uploadPart - pendingLength);
      const last = pending[pending.length - 1];
      if (last && last.kind === kind && last.end === start) last.end = start + take;
      else pending.push({ kind, start, end: start + take });
      pendingLength += take;
      start += take;
      if (pendingLength >= uploadPart) flush();
    }
  };
  for (const segment of segments) {
    if (segment.kind === "written" || segment.end - segment.start < minPart) {
      addPending(segment);
      continue;
    }
    let start = segment.start;
    if (pendingLength > 0 && pendingLength < minPart) {
      // The part before this copy is too short: it takes the copy's first bytes, if the copy stays long enough.
      const need = minPart - pendingLength;
      if (segment.end - start - need < minPart) {
        addPending(segment);
        continue;
      }
      addPending({ kind: "carried", start, end: start + need });
      start += need;
    }
    flush();
    const pieces = Math.ceil((segment.end - start) / maxPart);
    const each = Math.ceil((segment.end - start) / pieces);
    for (let at = start; at < segment.end; at += each) {
      parts.push({ kind: "copy", start: at, end: Math.min(segment.end, at + each) });
    }
  }
  flush();
  if (parts.length > MAX_PARTS) {
    throw new Error(`the new version needs ${parts.length} parts, more than S3's ${MAX_PARTS}`);
  }
  return parts;
}
