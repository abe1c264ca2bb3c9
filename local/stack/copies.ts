// One resource of the program's declarations (and its settings), made under another name: for tests
// and benchmarks that need a table or bucket of their own, shaped exactly like the stack's.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { resolveClientConfig } from "../../runtime/aws/clients";
import type { StackOutputs } from "../../runtime/contracts/stack";
import { tableRoleTag, TableRole } from "../../runtime/contracts/tables";
import type { CollectedResource } from "../program/mockedRun";
import { declared, localClients, LocalContext, localize } from "./context";
import { programDeclarations } from "./declarations";
import { translators } from "./translators";

function context(dynamodb?: DynamoDBClient): LocalContext {
  const clients = localClients({ maxAttempts: 2 });
  return {
    clients: dynamodb ? { ...clients, dynamodb } : clients,
    endpoint: resolveClientConfig().endpoint ?? "",
    region: resolveClientConfig().region,
    localResources: {},
  };
}

/** The bucket an output names (by its mocked physical name), plus the settings declared on it. */
async function declaredBucket(output: keyof StackOutputs) {
  const run = await programDeclarations();
  const name = run.exports[output];
  const main = run.resources.find((r) => r.type === "aws:s3/bucket:Bucket" && r.outputs.bucket === name);
  if (!main) throw new Error(`the program declares no bucket for its output ${output}`);
  const settings = run.resources.filter((r) => r !== main && r.inputs.bucket === name);
  return { name: name as string, main, settings, kmsKeyArn: run.exports.kmsKeyArn as string };
}

/** The table the program tags with `role`. */
async function declaredTable(role: TableRole) {
  const run = await programDeclarations();
  const main = run.resources.find(
    (r) =>
      r.type === "aws:dynamodb/table:Table" &&
      (r.inputs.tags as Record<string, string>)?.[tableRoleTag] === role,
  );
  if (!main) throw new Error(`the program declares no table tagged ${tableRoleTag}=${role}`);
  return { name: main.outputs.name as string, main, kmsKeyArn: run.exports.kmsKeyArn as string };
}

/** Runs each resource's translator with the mocked name and key swapped for the given ones. */
async function provisionAs(
  resources: CollectedResource[],
  ctx: LocalContext,
  renames: Record<string, string>,
): Promise<void> {
  for (const r of resources) {
    const translator = translators[r.type];
    if (!translator) continue;
    const d = declared(r, renames);
    await translator.up({ ...d, mocked: localize(d.mocked, renames) }, ctx);
  }
}

/**
 * A table declared like the stack's `role` table (keys, indexes, TTL), named `tableName`. Encrypted
 * with `kmsKeyArn` when given, else with the emulator's default key.
 */
export async function createTableLike(
  role: TableRole,
  tableName: string,
  options: { kmsKeyArn?: string; dynamodb?: DynamoDBClient } = {},
): Promise<string> {
  const { name, main, kmsKeyArn } = await declaredTable(role);
  const inputs = { ...main.inputs };
  if (!options.kmsKeyArn) delete inputs.serverSideEncryption;
  await provisionAs([{ ...main, inputs }], context(options.dynamodb), {
    [name]: tableName,
    ...(options.kmsKeyArn ? { [kmsKeyArn]: options.kmsKeyArn } : {}),
  });
  return tableName;
}

/** A bucket declared like the stack's lake bucket (versioning, SSE-KMS, lifecycle, policy...), named `bucket`. */
export async function createBucketLike(
  output: "lakeBucket" | "athenaResultsBucket",
  bucket: string,
  kmsKeyArn: string,
): Promise<string> {
  const { name, main, settings, kmsKeyArn: declaredKey } = await declaredBucket(output);
  await provisionAs([main, ...settings], context(), { [name]: bucket, [declaredKey]: kmsKeyArn });
  return bucket;
}
