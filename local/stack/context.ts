// What a translator works with: the emulator's clients, the resource as the program declared it under
// mocks, and the map from mocked identifiers (ARNs, URLs, key ids) to the ones the emulator assigned.
import {
  makeAthenaClient,
  makeDynamoDbClient,
  makeGlueClient,
  makeKmsClient,
  makeS3Client,
  makeSnsClient,
  makeSqsClient,
  makeSfnClient,
  AwsClientSettings,
} from "../../runtime/aws/clients";
import type { CollectedResource } from "../program/mockedRun";

export type LocalClients = ReturnType<typeof localClients>;

export function localClients(settings: AwsClientSettings) {
  return {
    athena: makeAthenaClient(settings),
    dynamodb: makeDynamoDbClient(settings),
    glue: makeGlueClient(settings),
    kms: makeKmsClient(settings),
    s3: makeS3Client(settings),
    sns: makeSnsClient(settings),
    sqs: makeSqsClient(settings),
    sfn: makeSfnClient(settings),
  };
}

/** A resource as the program declared it: inputs with mocked identifiers already made local. */
export interface Declared {
  type: string;
  /** Logical name. */
  name: string;
  urn: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inputs: Record<string, any>;
  /** The state the mocks gave it (its mocked identifiers: id, arn, url, keyId, name). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  mocked: Record<string, any>;
}

export interface LocalContext {
  clients: LocalClients;
  /** The emulator's endpoint. */
  endpoint: string;
  region: string;
  /** Mocked identifier -> local identifier, for every one that differs. */
  localResources: Record<string, string>;
}

/** Records that the emulator knows `mocked` as `local` (nothing when they are the same). */
export function recordLocal(ctx: LocalContext, mocked: unknown, local: string | undefined): void {
  if (typeof mocked === "string" && mocked !== "" && local && mocked !== local)
    ctx.localResources[mocked] = local;
}

/** Replaces every mocked identifier in `value` (deeply, inside strings too) with its local value. */
export function localize<T>(value: T, localResources: Record<string, string>): T {
  // Longest first: a key ARN contains its key id.
  const known = Object.keys(localResources).sort((a, b) => b.length - a.length);
  const inString = (s: string) => {
    for (const k of known) if (s.includes(k)) s = s.split(k).join(localResources[k]);
    return s;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return inString(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

// Pulumi's wire format wraps secrets in an object carrying this signature.
const signatureKey = "4dabf18193072939515e22adb298388d";
const secretSignature = "1b47061264138c4ac30d75fd1eb44270";

/** Registered inputs as plain values (secrets unwrapped). */
export function plainValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plainValue);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[signatureKey] === secretSignature) return plainValue(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, plainValue(x)]));
  }
  return v;
}

export function declared(r: CollectedResource, localResources: Record<string, string>): Declared {
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    inputs: localize(plainValue(r.inputs) as Record<string, unknown>, localResources),
    mocked: plainValue(r.outputs) as Record<string, unknown>,
  };
}

/** An SDK error that says the thing is not there. */
export function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    [
      "NotFound",
      "NoSuchBucket",
      "NotFoundException",
      "ResourceNotFoundException",
      "EntityNotFoundException",
      "QueueDoesNotExist",
      "AWS.SimpleQueueService.NonExistentQueue",
    ].includes(e?.name ?? "") || e?.$metadata?.httpStatusCode === 404
  );
}

/** Runs `fn`, treating "not there" as done (removal converges too). */
export async function ignoringMissing(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
}

/** `{ a: "1" }` -> `[{ Key: "a", Value: "1" }]`, the tag list most AWS APIs take. */
export function tagList(tags: Record<string, string> | undefined): { Key: string; Value: string }[] {
  return Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
}

/** One translator per Pulumi resource type: how to make it exist in the emulator, and go again. */
export interface ResourceTranslator {
  /** Creates the resource, or brings an existing one in line (never a duplicate). */
  up(r: Declared, ctx: LocalContext): Promise<unknown>;
  /** Removes it; absent for settings that go with their parent (a bucket's versioning). */
  down?(r: Declared, ctx: LocalContext): Promise<unknown>;
}
