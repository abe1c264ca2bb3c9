// The outputs file of a local stack (runtime/contracts/stack.ts LocalStack): written by
// `lethe up --local`, read by `lethe down --local`, `lethe invoke` and tests.
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../../runtime/contracts/errors";
import type { LocalStack } from "../../runtime/contracts/stack";

export const defaultOutputsFile = path.join(".lethe", "local.json");

export function writeOutputsFile(file: string, stack: LocalStack): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(stack, null, 2) + "\n");
}

/** Reads and checks an outputs file; a missing, unreadable or foreign file is a UsageError naming it. */
export function readOutputsFile(file: string): LocalStack {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new UsageError(`no local stack outputs at ${file} (run: lethe up --local)`);
  }
  let doc: Partial<LocalStack>;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not JSON: ${(err as Error).message}`);
  }
  if (!doc || doc.local !== true || typeof doc.endpoint !== "string" || typeof doc.stack !== "string")
    throw new UsageError(`${file} is not the outputs file of a local stack (no local, endpoint and stack)`);
  return { ...doc, localResources: doc.localResources ?? {} } as LocalStack;
}
