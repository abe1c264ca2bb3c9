// The resources of one Lethe stack that the runtime and its tools work with, by name: what the
// program's outputs (or a local stack's outputs file) tell a caller.
import type { TableRole } from "./tables";

/** A stack provisioned into an emulator or an account: its names and URLs. */
export interface LocalStack {
  kmsKeyArn: string;
  /** The KMS HMAC key subject hashes are keyed with (GenerateMac only; its material never leaves KMS). */
  subjectHashKeyArn: string;
  lakeBucket: string;
  /** Where audit details too large for a DynamoDB item go. */
  auditBucket: string;
  tables: Record<TableRole, string>;
  purgeQueueUrl: string;
  purgeDeadLetterQueueUrl: string;
}

/** An object of a sample lake and what it holds (for the demo and tests to check against). */
export interface SampleObject {
  key: string;
  rows: number;
  /** Rows per customer in this object. */
  rowsByCustomer: Map<string, number>;
}
