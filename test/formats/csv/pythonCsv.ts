// Fixtures written by Python's csv module (test/formats/csv/write_csv.py) from the project's .venv.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..", "..", "..");
const python = path.join(root, ".venv", "bin", "python");
const script = path.join(__dirname, "write_csv.py");

export interface PythonDialect {
  delimiter?: string;
  quotechar?: string | null;
  escapechar?: string | null;
  doublequote?: boolean;
  quoting?: "minimal" | "all" | "none";
  lineterminator?: "\r\n" | "\n";
}

export interface FixtureSpec {
  rows: string[][];
  header?: string[];
  dialect?: PythonDialect;
  gzip?: boolean;
  finalNewline?: boolean;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "lethe-csv-"));
}

export interface Fixture {
  /** The file's bytes (gzip when asked). */
  bytes: Buffer;
  /** The text Python's writer gave the header and each row, line endings included. */
  header: string | null;
  rows: string[];
}

/** Writes the fixture at `file`. */
export function writeCsv(file: string, spec: FixtureSpec): Fixture {
  const specFile = `${file}.spec.json`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    specFile,
    JSON.stringify({
      path: file,
      rows: spec.rows,
      header: spec.header ?? null,
      dialect: spec.dialect ?? {},
      gzip: spec.gzip ?? false,
      final_newline: spec.finalNewline ?? true,
    }),
  );
  const written = JSON.parse(execFileSync(python, [script, specFile]).toString()) as {
    header: string | null;
    rows: string[];
  };
  fs.rmSync(specFile);
  return { bytes: fs.readFileSync(file), ...written };
}
