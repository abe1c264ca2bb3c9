// The resources of one Lethe stack that the runtime and its tools work with, by name: what the
// program's outputs (`pulumi stack output --json`, or a local stack's outputs file) tell a caller.
/** The program's stack outputs (infra/index.ts exports exactly these). */
export interface StackOutputs {
  kmsKeyArn: string;
  lakeBucket: string;
  athenaResultsBucket: string;
  glueDatabase: string;
  glueTable: string;
  athenaWorkgroup: string;
  ingestStream: string;
  requestsTable: string;
  indexTable: string;
  optOutTable: string;
  locksTable: string;
  errorsTable: string;
  auditTable: string;
  purgeQueueUrl: string;
  purgeDeadLetterQueueUrl: string;
  alertTopicArn: string;
  erasureDeadlineDays: number;
  filterBuilderFunction: string;
  ingestGuardFunction: string;
}

/**
 * A stack provisioned into an emulator by `lethe up --local`: the outputs file. The program's outputs
 * with their local values, plus where the emulator is and how mocked identifiers map to local ones.
 */
export interface LocalStack extends StackOutputs {
  /** The emulator's endpoint (AWS_ENDPOINT_URL for the clients). */
  endpoint: string;
  local: true;
  /** The Pulumi stack whose declarations were provisioned. */
  stack: string;
  /**
   * Every identifier the program under mocks gives a resource (ARN, URL, key id) that differs in the
   * emulator, mapped to its local value: rewrite a function's mocked environment with it.
   */
  localResources: Record<string, string>;
}

/** An object of a sample lake and what it holds (for the demo and tests to check against). */
export interface SampleObject {
  key: string;
  rows: number;
  /** Rows per customer in this object. */
  rowsByCustomer: Map<string, number>;
}
