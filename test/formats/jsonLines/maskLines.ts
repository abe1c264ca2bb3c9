// JSON Lines for the mask strategy, written by Python's json, and Python's independent check of a masked
// object (test/formats/jsonLines/mask_lines.py).
import { execFileSync } from "node:child_process";
import * as path from "node:path";

const root = path.resolve(__dirname, "..", "..", "..");
const python = path.join(root, ".venv", "bin", "python");
const script = path.join(__dirname, "mask_lines.py");

/** Writes 200 rows (customer IDs 0 to 39, as strings and integers, or strings only) to `file`. */
export function writeMaskLines(file: string, seed: number, stringsOnly = false): void {
  execFileSync(python, [script, "write", file, String(seed), ...(stringsOnly ? ["strings"] : [])]);
}

export interface MaskCheckSpec {
  original: string;
  masked: string;
  ids: string[];
  /** Each subject's keyed hash. */
  hashes: Record<string, string>;
  columns: Readonly<Record<string, "null" | "hash">>;
  /** The array-of-IDs column (`friends`), or null for the plain `customer_id`. */
  array: string | null;
}

/** Python's problems with the masked text (none: exactly right) and the rows it found masked. */
export function checkMaskedLines(spec: MaskCheckSpec): { problems: string[]; masked: number } {
  const out = execFileSync(python, [script, "check"], { input: JSON.stringify(spec), encoding: "utf8" });
  return JSON.parse(out) as { problems: string[]; masked: number };
}
