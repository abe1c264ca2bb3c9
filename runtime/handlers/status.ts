// Status Lambda (`GET /requests/{id}`, `lethe status`, the console with `{"requestId": "..."}`): a
// request's state, deadline, days left, its batch's counts per step and where its report is. Counts
// and keyed hashes only, never an ID. An unknown request id is a clear error (404 over HTTP).
// Console test event: events/status.json.
import { makeDocumentClient } from "../aws/clients";
import { Env, envNames, requiredEnv } from "../contracts/env";
import { RequestStatus, requestStatus } from "../erasure/status";
import { asUsageError } from "./refusals";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export const statusServiceName = letheFunctions.status.serviceName;

export function createStatusHandler(env: Env = process.env): (event: unknown) => Promise<RequestStatus> {
  const deps = {
    doc: makeDocumentClient(),
    requestsTable: requiredEnv(env, envNames.requestsTable),
    ledgerTable: requiredEnv(env, envNames.ledgerTable),
  };
  return letheHandler(handlerTools(statusServiceName), (event: unknown) =>
    asUsageError(() => requestStatus(deps, event)),
  );
}
