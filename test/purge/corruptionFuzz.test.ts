// Corrupt and hostile Parquet files fail cleanly. Seeded random byte flips and truncations over small
// pyarrow files (GZIP, SNAPPY, ZSTD; DataPage V1 and V2 with CRCs; string, integer, struct and
// composite keys): each case either purges to a file pyarrow reads whose rows are exactly the input's
// non-matching rows, or throws CorruptObjectError (or one of the engine's typed refusals) and leaves no
// output and no temporary file. No case may throw anything else or leave an unhandled rejection.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { keyMatcher } from "../../runtime/subjects/matcher";
import { purgeParquetFile } from "../../runtime/purge/localFiles";
import {
  CorruptObjectError,
  MatchSpecError,
  ParquetFormatError,
  UnfaithfulRewriteError,
} from "../../runtime/formats/parquet/parquetPurge";
import { FuzzCase, fuzzCheck, makeFixture, tempDir } from "./pyarrow";
import { seededRandom } from "../support/seededRandom";

/** A deeper local run: LETHE_FUZZ_CASES=5000 LETHE_FUZZ_SEED=7 npx mocha test/purge/corruptionFuzz.test.ts */
const CASES = Number(process.env.LETHE_FUZZ_CASES ?? 320);
const SEED = Number(process.env.LETHE_FUZZ_SEED ?? 20261201);
/** Cases purged with 2 worker threads (each starts its own workers, which is slow under ts-node). */
const WORKER_CASES = new Set([7, 111, 215]);

interface Base {
  file: string;
  columns: string[];
  ids: string[][];
}

/** One corruption: a truncation, or one to four flipped bytes (half of them near the footer). */
function corrupt(bytes: Buffer, next: () => number): { bytes: Buffer; what: string } {
  const pick = (from: number) => from + Math.floor(next() * (bytes.length - from));
  if (next() < 0.25) {
    const length = Math.floor(next() * bytes.length);
    return { bytes: bytes.subarray(0, length), what: `truncated to ${length}` };
  }
  const out = Buffer.from(bytes);
  const flips = next() < 0.8 ? 1 : 2 + Math.floor(next() * 3);
  const at: number[] = [];
  for (let i = 0; i < flips; i++) {
    const pos = next() < 0.5 ? pick(0) : pick(Math.floor(bytes.length * 0.75));
    out[pos] ^= 1 + Math.floor(next() * 255);
    at.push(pos);
  }
  return { bytes: out, what: `flipped ${at.join(",")}` };
}

describe("purge: corrupt and hostile Parquet files (seeded fuzz)", () => {
  let dir: string;
  const bases: Base[] = [];
  before(() => {
    dir = tempDir();
    const every = (id: string) => [id];
    bases.push(
      {
        file: makeFixture("fuzz", "GZIP", path.join(dir, "gzip.parquet")),
        columns: ["customer_id"],
        ids: ["c03", "c11"].map(every),
      },
      {
        file: makeFixture("fuzz", "SNAPPY", path.join(dir, "snappy.parquet")),
        columns: ["customer_id", "account_no"],
        ids: ["1003", "1013", "1023", "1033"].map((a) => ["c03", a]),
      },
      {
        // Matches in row group 1 only: the other row groups are copied, and their CRCs checked.
        file: makeFixture("fuzz-crc", "ZSTD", path.join(dir, "zstd-crc.parquet")),
        columns: ["account_no"],
        ids: ["1012", "1013"].map(every),
      },
      {
        file: makeFixture("fuzz-crc", "GZIP", path.join(dir, "gzip-crc.parquet")),
        columns: ["user.id"],
        ids: [["u4"]],
      },
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`${CASES} cases: a faithful purge or a typed error, never anything else`, async function () {
    this.timeout(900_000);
    const started = Date.now();
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on("unhandledRejection", onRejection);
    const next = seededRandom(SEED);
    const purged: (FuzzCase & { label: string })[] = [];
    const refused: FuzzCase[] = [];
    const failures: string[] = [];
    const outcomes = new Map<string, number>();
    const count = (what: string, n = 1) => outcomes.set(what, (outcomes.get(what) ?? 0) + n);
    try {
      for (let n = 0; n < CASES; n++) {
        const base = bases[n % bases.length];
        const { bytes, what } = corrupt(fs.readFileSync(base.file), next);
        const label = `case ${n} (${path.basename(base.file)}, ${what})`;
        const caseDir = path.join(dir, `case-${n}`);
        fs.mkdirSync(caseDir);
        const input = path.join(caseDir, "in.parquet");
        const output = path.join(caseDir, "out.parquet");
        fs.writeFileSync(input, bytes);
        const matcher = keyMatcher(base.columns, base.ids);
        const workers = WORKER_CASES.has(n) ? 2 : 0;
        try {
          await purgeParquetFile(input, output, matcher, { workers });
          purged.push({ input, output, columns: base.columns, ids: base.ids, label });
          count("purged");
        } catch (err) {
          refused.push({ input, output: null, columns: base.columns, ids: base.ids });
          const left = fs.readdirSync(caseDir).filter((f) => f !== "in.parquet");
          if (left.length > 0) failures.push(`${label}: left ${left.join(", ")} after ${String(err)}`);
          if (err instanceof CorruptObjectError) {
            if (err.object !== input) failures.push(`${label}: the error names ${err.object}`);
            count(err.part === "footer" ? "corrupt footer" : "corrupt row group");
          } else if (
            err instanceof ParquetFormatError ||
            err instanceof MatchSpecError ||
            err instanceof UnfaithfulRewriteError
          ) {
            count((err as Error).name);
          } else {
            failures.push(`${label}: untyped ${(err as Error)?.name}: ${(err as Error)?.message ?? err}`);
          }
        }
      }
      // Give pending work (deflate threads, zlib) a moment to surface a stray rejection.
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      process.off("unhandledRejection", onRejection);
    }
    const verdicts = fuzzCheck([...purged, ...refused], dir);
    verdicts.slice(0, purged.length).forEach((v, i) => {
      if (v !== null) failures.push(`${purged[i].label}: ${v}`);
    });
    // Not a failure, but worth knowing: refusals of inputs that pyarrow reads all the same.
    count("refused, pyarrow reads the input", verdicts.slice(purged.length).filter((v) => v === null).length);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `      fuzz: ${CASES} cases in ${seconds} s: ${JSON.stringify(Object.fromEntries(outcomes))}`,
    );
    expect(rejections.map(String)).to.deep.equal([]);
    expect(failures).to.deep.equal([]);
    // The corpus exercises both outcomes, and decode failures past the footer.
    expect(outcomes.get("purged") ?? 0).to.be.greaterThan(20);
    expect(outcomes.get("corrupt row group") ?? 0).to.be.greaterThan(20);
  });
});
