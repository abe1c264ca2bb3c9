// The environment the intake functions (request, batch, status, approval, cancel) get, built from a
// local stack's outputs: for tests and for running their handlers in process when the program under
// mocks does not give one (the program's own environment, localized, is what `lethe invoke` uses).
import { envNames } from "../../runtime/contracts/env";
import { erasureEnvironment } from "../../runtime/erasure/settings";
import type { LocalStack } from "../../runtime/contracts/stack";

export interface IntakeEnvironmentExtras {
  idempotencyTable: string;
  filterBuilderFunction?: string;
  stateMachineArn?: string;
  batchMaxSubjects?: number;
}

export function intakeEnvironment(
  stack: LocalStack,
  extras: IntakeEnvironmentExtras,
): Record<string, string> {
  return {
    ...erasureEnvironment(stack.erasureSettings),
    [envNames.requestsTable]: stack.requestsTable,
    [envNames.ledgerTable]: stack.ledgerTable,
    [envNames.auditTable]: stack.auditTable,
    [envNames.auditBucket]: stack.auditBucket,
    [envNames.lakeBucket]: stack.lakeBucket,
    [envNames.kmsKeyArn]: stack.kmsKeyArn,
    [envNames.subjectHashKeyArn]: stack.subjectHashKeyArn,
    [envNames.optOutTable]: stack.optOutTable,
    [envNames.idempotencyTable]: extras.idempotencyTable,
    [envNames.filterBuilderFunction]: extras.filterBuilderFunction ?? stack.filterBuilderFunction,
    [envNames.alertTopicArn]: stack.alertTopicArn,
    ...(extras.stateMachineArn ? { [envNames.stateMachineArn]: extras.stateMachineArn } : {}),
    [envNames.batchMaxSubjects]: String(extras.batchMaxSubjects ?? 10_000),
  };
}

/** What the filter builder gets, pointed at a local stack (its filter lives in the lake bucket). */
export function filterBuilderEnvironment(
  stack: LocalStack,
  falsePositiveRate = 1e-4,
): Record<string, string> {
  return {
    [envNames.optOutTable]: stack.optOutTable,
    [envNames.filterBucket]: stack.lakeBucket,
    [envNames.kmsKeyArn]: stack.kmsKeyArn,
    [envNames.subjectHashKeyArn]: stack.subjectHashKeyArn,
    [envNames.falsePositiveRate]: String(falsePositiveRate),
  };
}
