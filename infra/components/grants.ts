// Small builders for the least-privilege statements Lethe's functions get: named actions on exact
// tables (and their indexes), object prefixes of one bucket, one topic, one queue.
import type { PolicyStatement } from "./letheFunction";

/** DynamoDB actions on tables; `withIndexes` adds each table's indexes (Query on a GSI). */
export function tableGrant(
  sid: string,
  actions: string[],
  tableArns: string[],
  withIndexes = false,
): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: actions,
    Resource: tableArns.flatMap((t) => (withIndexes ? [t, `${t}/index/*`] : [t])),
  };
}

/** S3 object actions under key prefixes (each ending in "/") of one bucket. */
export function objectGrant(
  sid: string,
  actions: string[],
  bucket: string,
  prefixes: string[],
): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: actions,
    Resource: prefixes.map((p) => `arn:aws:s3:::${bucket}/${p}*`),
  };
}

/** Listing (and version listing) of one bucket, only under the prefixes given. */
export function listGrant(sid: string, bucket: string, prefixes: string[]): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: ["s3:ListBucket", "s3:ListBucketVersions"],
    Resource: `arn:aws:s3:::${bucket}`,
    Condition: { StringLike: { "s3:prefix": prefixes.map((p) => `${p}*`) } },
  };
}

export function publishGrant(topicArn: string): PolicyStatement {
  return { Sid: "Alert", Effect: "Allow", Action: "sns:Publish", Resource: topicArn };
}

/** The executions of a state machine: `arn:...:stateMachine:<name>` -> `arn:...:execution:<name>:*`. */
export function executionsOf(stateMachineArn: string): string {
  return `${stateMachineArn.replace(":stateMachine:", ":execution:")}:*`;
}

/** Auditing each move of a request: items in the audit table, large details under the audit bucket's audit/. */
export function auditMoveGrants(auditTableArn: string, auditBucket: string): PolicyStatement[] {
  return [
    // Query: each entry holds the hash of the request's entry before it (runtime/erasure/auditChain.ts).
    tableGrant("AuditMoves", ["dynamodb:PutItem", "dynamodb:Query"], [auditTableArn]),
    objectGrant("AuditMoveDetails", ["s3:PutObject"], auditBucket, ["audit/"]),
  ];
}
