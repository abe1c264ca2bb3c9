// A local stack's outputs file for the ingest guard's functions, as `lethe up --local` writes one:
// an opt-out table (holding cust-0042, opted out in events/ingest-guard.json) and a lake bucket in the
// emulator, with the program's mocked identifiers mapped to them.
import * as fs from "node:fs";
import * as path from "node:path";
import { packagedFunction } from "../../local/program/packaging";
import { StackOutputs } from "../../cli/work/invoke";
import { envNames } from "../../runtime/contracts/env";
import { OptOutRegistry } from "../../runtime/ingest/optOutRegistry";
import { makeDocumentClient } from "../../runtime/aws/clients";
import { FilterLocation } from "../../runtime/ingest/filterStore";
import { createLakeBucket, createOptOutTable } from "../ingest/fixtures";
import { createSubjectHashKey } from "../support/subjectHashKeys";

export interface LocalGuardStack {
  registry: OptOutRegistry;
  lake: FilterLocation;
  /** The outputs file written. */
  file: string;
  subjectHashKeyArn: string;
}

export async function writeLocalGuardStack(file: string): Promise<LocalGuardStack> {
  const table = await createOptOutTable();
  const lake = await createLakeBucket();
  const registry = new OptOutRegistry(makeDocumentClient(), table);
  await registry.add("cust-0042", "req-1");
  const subjectHashKeyArn = await createSubjectHashKey();
  const mocked = (await packagedFunction("filter-builder")).environment;
  const outputs: StackOutputs = {
    local: true,
    stack: "dev",
    endpoint: process.env.AWS_ENDPOINT_URL,
    filterBuilderFunction: "lethe-dev-filter-builder",
    ingestGuardFunction: "lethe-dev-ingest-guard",
    localResources: {
      [mocked[envNames.optOutTable]]: table,
      [mocked[envNames.filterBucket]]: lake.bucket,
      [mocked[envNames.kmsKeyArn]]: lake.kmsKeyArn!,
      [mocked[envNames.subjectHashKeyArn]]: subjectHashKeyArn,
    },
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(outputs));
  return { registry, lake, file, subjectHashKeyArn };
}
