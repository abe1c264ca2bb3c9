// Runs the pyarrow side of the purge tests (test/purge/parquet_fixtures.py) from the project's .venv.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..", "..");
const python = path.join(root, ".venv", "bin", "python");
const script = path.join(__dirname, "parquet_fixtures.py");

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "lethe-purge-"));
}

export function makeFixture(
  kind: "lake" | "int96" | "int96-hinted" | "decimal" | "bigint" | "fuzz" | "fuzz-crc" | "wide",
  codec: string,
  out: string,
): string {
  execFileSync(python, [script, "make", kind, codec, out]);
  return out;
}

export interface CheckReport {
  problems: string[];
  rowsBefore: number;
  rowsAfter: number;
  expectedRowsAfter: number;
  identicalRowGroups: number[];
  codecs: string[];
  physicalTypes: string[];
  rowGroupRows: number[];
  inputRowGroupRows: number[];
}

/** pyarrow filters the input itself and compares it, the schema and the codecs with our output. */
export function checkPurge(input: string, output: string, columns: string[], ids: string[][]): CheckReport {
  const spec = path.join(path.dirname(output), `spec-${path.basename(output)}.json`);
  fs.writeFileSync(spec, JSON.stringify({ columns, ids }));
  return JSON.parse(execFileSync(python, [script, "check", input, output, spec]).toString());
}

/** Up to `limit` distinct non-null keys present in the file, in first-seen order. */
export function keysIn(file: string, columns: string[], limit: number): string[][] {
  return JSON.parse(execFileSync(python, [script, "ids", file, columns.join(","), String(limit)]).toString());
}

export interface FuzzCase {
  input: string;
  /** null: the purge refused the case; the answer is then whether pyarrow reads the input. */
  output: string | null;
  columns: string[];
  ids: string[][];
}

/** Per case, null when pyarrow reads the output and it holds exactly the input's non-matching rows. */
export function fuzzCheck(cases: FuzzCase[], dir: string): (string | null)[] {
  const manifest = path.join(dir, "fuzz-manifest.json");
  fs.writeFileSync(manifest, JSON.stringify(cases));
  return JSON.parse(
    execFileSync(python, [script, "fuzzcheck", manifest], { maxBuffer: 64 << 20 }).toString(),
  );
}
