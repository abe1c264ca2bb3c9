// One resource of the program's declarations (and its settings), made under another name: for tests
// and benchmarks that need a table or bucket of their own, shaped exactly like the stack's.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { resolveClientConfig } from "../../runtime/aws/clients";
import { StackOutputs, tableOutputs } from "../../runtime/contracts/stack";
import type { TableRole } from "../../runtime/contracts/tables";
import type { CollectedResource } from "../policy/mockedRun";
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

/** The resources named by an output (by their mocked physical name), plus those configuring them. */
async function declaredFor(output: keyof StackOutputs, kind: string, settingKey: string) {
  const run = await programDeclarations();
  const name = run.exports[output];
  const main = run.resources.find((r) => r.type === kind && (r.outputs.bucket ?? r.outputs.name) === name);
  if (!main) throw new Error(`the program declares no ${kind} for its output ${output}`);
  const settings = run.resources.filter((r) => r !== main && r.inputs[settingKey] === name);
  return { name: name as string, main, settings, kmsKeyArn: run.exports.kmsKeyArn as string };
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
  const { name, main, kmsKeyArn } = await declaredFor(tableOutputs[role], "aws:dynamodb/table:Table", "name");
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
  const {
    name,
    main,
    settings,
    kmsKeyArn: declaredKey,
  } = await declaredFor(output, "aws:s3/bucket:Bucket", "bucket");
  await provisionAs([main, ...settings], context(), { [name]: bucket, [declaredKey]: kmsKeyArn });
  return bucket;
}
