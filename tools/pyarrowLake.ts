// pyarrow's side of the forget tests and benchmark (tools/pyarrow_lake.py in the project's .venv): a
// lake of small objects as pyarrow writes them, and pyarrow's reading of purged objects.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { projectRoot } from "../runtime/contracts/projectConfig";

const root = projectRoot();
const python = path.join(root, ".venv", "bin", "python");
const script = path.join(root, "tools", "pyarrow_lake.py");

/** Writes `count` GZIP Parquet files of `rows` rows over customers `cust-0000`.. into `dir`. */
export function makePyarrowLake(
  dir: string,
  count: number,
  rows: number,
  customers: number,
  seed = 1,
): string[] {
  const out = execFileSync(
    python,
    [script, "make", dir, String(count), String(rows), String(customers), String(seed)],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return JSON.parse(out.toString());
}

export interface PyarrowView {
  /** Distinct non-null IDs per file. */
  keys: Record<string, string[]>;
  /** Per pair: what differs between the purged file and the original without the IDs' rows. */
  survivors: { problems: string[]; rows: number }[];
}

/** pyarrow reads every file once: the IDs each holds, and whether purged files kept every other row. */
export function pyarrowView(
  keys: string[],
  survivors: { original: string; purged: string; ids: string[] }[] = [],
  column = "customer_id",
): PyarrowView {
  const out = execFileSync(python, [script], {
    input: JSON.stringify({ column, keys, survivors }),
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(out.toString());
}
