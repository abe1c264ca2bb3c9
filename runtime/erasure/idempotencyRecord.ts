// The request function's idempotency records (Powertools, tableShapes.idempotency): what identifies
// one, and its removal when the request's raw IDs are dropped. A record holds the key's digest, a
// keyed digest of the body (never an unkeyed one: ../../runtime/handlers/request.ts) and the reply.
import { createHash } from "node:crypto";
import { DeleteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { tableShapes } from "../contracts/tables";
import type { SubjectHasher } from "../subjects/subjectHash";

/** The request function's Powertools key prefix (its service name, the same deployed and local). */
export const requestIdempotencyPrefix = "lethe-request";

/** The record's id as Powertools forms it for an `idempotencyKey` path: `<prefix>#base64(md5(JSON of the key))`. */
export function idempotencyRecordId(idempotencyKey: string): string {
  return `${requestIdempotencyPrefix}#${powertoolsDigest(idempotencyKey)}`;
}

/** Powertools' digest of a selected value (BasePersistenceLayer.generateHash, md5 by default). */
export function powertoolsDigest(value: unknown): string {
  return createHash("md5").update(JSON.stringify(value)).digest("base64");
}

/**
 * What a retry's body is checked against: a digest keyed with the stack's HMAC key (subjectHash.ts),
 * so the record does not let anyone holding the table test guesses of the IDs.
 */
export function requestBodyDigest(
  hasher: SubjectHasher,
  body: { customerIds: unknown[]; reason?: string; requestedBy?: string },
): string {
  return hasher.setDigest("lethe/request-body/v1", [
    JSON.stringify([body.customerIds, body.reason ?? null, body.requestedBy ?? null]),
  ]);
}

/** Deletes the record of `idempotencyKey` (a retry after this files a new request, as after 24 h). */
export async function clearIdempotencyRecord(
  doc: DynamoDBDocumentClient,
  tableName: string,
  idempotencyKey: string,
): Promise<void> {
  await doc.send(
    new DeleteCommand({
      TableName: tableName,
      Key: { [tableShapes.idempotency.hashKey]: idempotencyRecordId(idempotencyKey) },
    }),
  );
}
