// Fixtures with IDs inside arrays, written by pyarrow and Python's json (test/formats/arrays/arrays_lake.py),
// and that script's independent reading of which rows a purge must keep.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..", "..", "..");
const python = path.join(root, ".venv", "bin", "python");
const script = path.join(__dirname, "arrays_lake.py");

export interface ArrayFixtures {
  dir: string;
  parquet: string;
  jsonl: string;
}

export function writeArrayFixtures(seed = 7): ArrayFixtures {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-arrays-"));
  const out = execFileSync(python, [script, "write", dir, String(seed)], { encoding: "utf8" });
  return { dir, ...(JSON.parse(out) as { parquet: string; jsonl: string }) };
}

export interface ArrayCheck {
  /** Empty when `purged` holds exactly the original rows none of whose elements is one of the IDs. */
  problems: string[];
  kept: number;
  rows: number;
  /** Every ID at the column, with the number of rows holding it. */
  keys: Record<string, number>;
}

export function checkArrayPurge(spec: {
  original: string;
  purged: string;
  column: string;
  ids: string[];
}): ArrayCheck {
  const out = execFileSync(python, [script, "check"], { input: JSON.stringify(spec), encoding: "utf8" });
  return JSON.parse(out) as ArrayCheck;
}
