// Reading an ID list given on the command line: an ID file (one per line) or a JSON ID list, with
// the rules of runtime/subjects/subjectIds.ts; a bad list is a usage error naming the file and lines.
import * as fs from "node:fs";
import { UsageError } from "./command";
import { SubjectIdError, parseIdLines, parseIdsJson } from "../runtime/subjects/subjectIds";

export function readIdFile(path: string, format: "lines" | "json", columns: number): string[][] {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ID file '${path}': ${code === "ENOENT" ? "no such file" : code}`);
  }
  let text: string;
  try {
    // Strict: a byte that is not UTF-8 would otherwise become U+FFFD and change the ID.
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${path}: not valid UTF-8`);
  }
  try {
    return format === "lines" ? parseIdLines(text, columns) : parseIdsJson(text, columns);
  } catch (err) {
    if (err instanceof SubjectIdError) throw new UsageError(`${path}: ${err.message}`);
    throw err;
  }
}
