// A purge message as it arrives (an SQS body or a console event), checked before anything is read
// from the lake: valid JSON of the PurgeObjectMessage shape, a known mapper, and an object inside the
// mapper's location (a message can never make Lethe rewrite an object outside the lake it was given).
import type { DataMapper } from "../../contracts/mappers";
import { parseS3Location } from "../../contracts/mappers";
import type { PurgeObjectMessage } from "../../contracts/messages";
import { invalidMessage } from "./errors";

export interface ValidMessage {
  message: PurgeObjectMessage;
  mapper: DataMapper;
}

/** The parts of a message that can be trusted enough to record a failure against (batch, object). */
export interface MessageLabel {
  batchId?: string;
  round?: number;
  bucket?: string;
  key?: string;
  mapper?: string;
}

export function validatePurgeMessage(input: unknown, mappers: readonly DataMapper[]): ValidMessage {
  let raw = input;
  if (typeof input === "string") {
    try {
      raw = JSON.parse(input);
    } catch {
      throw invalidMessage("not-json", "the message body is not JSON");
    }
  }
  const m = raw as Partial<PurgeObjectMessage> | null;
  const problems: string[] = [];
  if (typeof m !== "object" || m === null || Array.isArray(m)) {
    throw invalidMessage("bad-message", "the message is not a JSON object");
  }
  if (!nonEmpty(m.batchId)) problems.push("batchId must be a non-empty string");
  if (!nonEmpty(m.mapper)) problems.push("mapper must be a non-empty string");
  const o = m.object as Partial<PurgeObjectMessage["object"]> | undefined;
  if (typeof o !== "object" || o === null || !nonEmpty(o.bucket) || !nonEmpty(o.key)) {
    problems.push("object must have a bucket and a key");
  } else if (o.versionIds !== undefined && (!Array.isArray(o.versionIds) || !o.versionIds.every(nonEmpty))) {
    problems.push("object.versionIds must be an array of version ids");
  }
  const ref = m.manifest as Partial<PurgeObjectMessage["manifest"]> | undefined;
  if (typeof ref !== "object" || ref === null || !nonEmpty(ref.bucket) || !nonEmpty(ref.key)) {
    problems.push("manifest must have a bucket and a key");
  }
  if (m.round !== undefined && (!Number.isInteger(m.round) || m.round < 0)) {
    problems.push("round must be a whole number");
  }
  if (problems.length) throw invalidMessage("bad-message", `invalid purge message: ${problems.join("; ")}`);

  const message = { ...(m as PurgeObjectMessage) };
  message.object = { ...message.object, versionIds: message.object.versionIds ?? [] };
  const mapper = mappers.find((d) => d.name === message.mapper);
  if (!mapper) {
    const known = mappers.map((d) => d.name).join(", ") || "none";
    throw invalidMessage("unknown-mapper", `unknown data mapper "${message.mapper}" (known: ${known})`);
  }
  const { bucket, prefix } = parseS3Location(mapper.location);
  const { bucket: objectBucket, key } = message.object;
  if (objectBucket !== bucket || !key.startsWith(prefix) || key.split("/").includes("..")) {
    throw invalidMessage(
      "outside-location",
      `object s3://${objectBucket}/${key} is outside mapper "${mapper.name}"'s location ${mapper.location}`,
    );
  }
  return { message, mapper };
}

/** Best-effort labels of an invalid message, so its failure is still filed under its batch and object. */
export function labelOf(input: unknown): MessageLabel {
  let raw = input;
  if (typeof input === "string") {
    try {
      raw = JSON.parse(input);
    } catch {
      return {};
    }
  }
  const m = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const o = (typeof m.object === "object" && m.object !== null ? m.object : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  return {
    batchId: str(m.batchId),
    round: Number.isInteger(m.round) ? (m.round as number) : undefined,
    mapper: str(m.mapper),
    bucket: str(o.bucket),
    key: str(o.key),
  };
}

function nonEmpty(v: unknown): v is string {
  return typeof v === "string" && v.trim() !== "";
}
