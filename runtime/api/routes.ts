// The HTTP API's one route table. Everything about the API is derived from it: the OpenAPI document
// (./openapi.ts; committed as docs/openapi.json and served at GET /openapi.json), the routes API
// Gateway declares (infra/api/erasureApi.ts imports the document with one integration per route),
// the dispatch in the API function (./router.ts) and the local server (cli/work/apiServer.ts).
//
// Each route names the console function behind it (CONTRACT: request, status, cancel, approval, opt-in, batch, by
// the factory their handlers export) and how the HTTP call becomes that function's console event.
import { erasureStates, idsFieldRefusal, maxRequestIds } from "../contracts/requests";
import { ApiErrorCode, apiErrorCodes } from "./errors";
import { JsonSchema } from "./schema";

/** The console functions (shortName) routes call, plus what the API function answers itself. */
export type RouteTarget =
  | { function: "request" | "status" | "cancel" | "approval" | "opt-in" | "batch"; factory: string }
  | {
      local:
        | "requestList"
        | "openapi"
        | "approvalLinkPage"
        | "approvalLinkDecision"
        | "console"
        | "batchList"
        | "operations"
        | "report";
    };

export type HttpMethod = "GET" | "POST";

export interface RouteResponse {
  description: string;
  /** JSON replies; absent for HTML pages. */
  schema?: JsonSchema;
  html?: boolean;
  /** Neither JSON nor HTML: the console's script and style sheet. */
  mediaType?: "text/javascript" | "text/css";
}

export interface Route {
  operationId: string;
  method: HttpMethod;
  /** OpenAPI path template (`/requests/{id}`). */
  path: string;
  summary: string;
  target: RouteTarget;
  /**
   * `caller`: IAM (SigV4) by default, or the Cognito authoriser when configured. `link`: no
   * authoriser; the signed link in the path is the authority (approvers open it from an e-mail).
   */
  auth: "caller" | "link" | "none";
  pathParameters?: Record<string, JsonSchema>;
  query?: Record<string, JsonSchema & { required?: never }>;
  headers?: Record<string, JsonSchema>;
  body?: {
    schema: JsonSchema;
    contentType: "application/json" | "application/x-www-form-urlencoded";
    /** Fields refused by name before the schema is checked, with the message that says what to send. */
    refusedFields?: Record<string, string>;
    required: boolean;
  };
  /** Bodies over this many bytes answer 413 before anything runs. */
  maxBodyBytes: number;
  /** The success reply. */
  success: { status: number } & RouteResponse;
  /** The error statuses this route can answer (each body is an ApiError). */
  errors: number[];
}

const idSchema: JsonSchema = {
  type: "string",
  minLength: 1,
  maxLength: 128,
  pattern: "^[A-Za-z0-9._:-]+$",
  description: "an id of letters, digits, '.', '_', ':' and '-'",
};

export const errorSchema: JsonSchema = {
  type: "object",
  required: ["code", "message"],
  additionalProperties: false,
  properties: {
    code: { type: "string", enum: apiErrorCodes },
    message: { type: "string", description: "what was wrong, naming the field; never a customer ID" },
  },
};

const state: JsonSchema = { type: "string", enum: erasureStates };
const text = (maxLength: number, description: string): JsonSchema => ({
  type: "string",
  maxLength,
  description,
});

/** One customer: an ID, or the parts of a composite key in column order. */
const customerId: JsonSchema = {
  oneOf: [
    { type: "string", minLength: 1, maxLength: 256 },
    { type: "array", minItems: 1, maxItems: 8, items: { type: "string", minLength: 1, maxLength: 256 } },
  ],
  description: "a customer ID (string) or a composite key (array of strings)",
};

/** Most IDs one opt-in names; an erasure request takes up to maxRequestIds (split into batches). */
export const maxIdsPerRequest = 10_000;

const requestBody: JsonSchema = {
  type: "object",
  required: ["customerIds"],
  additionalProperties: false,
  properties: {
    customerIds: {
      type: "array",
      minItems: 1,
      maxItems: maxRequestIds,
      items: customerId,
      description:
        'the customers to erase; the same field as the console event\'s (events/request.json); "ids" is refused',
    },
    reason: { ...text(1000, "why the data is erased (kept with the request)"), minLength: 1 },
    requestedBy: { ...text(1000, "who asked (a system or a person; default: the caller)"), minLength: 1 },
  },
};

const requestReply: JsonSchema = {
  type: "object",
  required: ["requestId", "status", "deadline"],
  properties: {
    requestId: { type: "string" },
    status: state,
    deadline: { type: "string", format: "date-time" },
    receivedAt: { type: "string", format: "date-time" },
    subjects: { type: "integer", minimum: 0 },
    parts: {
      type: "array",
      description: "a request larger than one batch: its parts, each batched on its own",
      items: {
        type: "object",
        required: ["requestId", "subjects"],
        properties: { requestId: { type: "string" }, subjects: { type: "integer", minimum: 1 } },
      },
    },
    message: { type: "string" },
  },
};

const batchProgress: JsonSchema = {
  type: "object",
  required: ["batchId", "state"],
  properties: {
    batchId: { type: "string" },
    state,
    executionId: { type: "string", description: "the batch's state-machine execution, once started" },
    objectsPurged: { type: "integer" },
    objectsNothingToDo: { type: "integer" },
    objectsFailed: { type: "integer" },
    rowsRemoved: { type: "integer" },
    versionsDeleted: { type: "integer" },
  },
};

const statusReply: JsonSchema = {
  type: "object",
  required: ["requestId", "state", "receivedAt", "deadline", "daysLeft", "overdue"],
  properties: {
    requestId: { type: "string" },
    state,
    receivedAt: { type: "string" },
    deadline: { type: "string" },
    daysLeft: { type: "number" },
    overdue: { type: "boolean" },
    subjects: { type: "integer" },
    reason: { type: "string", description: "why the request was filed" },
    stateReason: { type: "string", description: "why it is in its state, when a move said" },
    batch: batchProgress,
    report: { type: "string" },
    parts: {
      type: "array",
      description:
        "a request larger than one batch: each part's status (this shape), its state the least advanced of theirs",
      items: { type: "object" },
    },
    partOf: {
      type: "object",
      description: "a part of a larger request: that request's id, this part's number and how many",
      properties: {
        requestId: { type: "string" },
        part: { type: "integer" },
        parts: { type: "integer" },
      },
    },
  },
};

const batchListReply: JsonSchema = {
  type: "object",
  required: ["batches"],
  properties: {
    batches: {
      type: "array",
      items: {
        type: "object",
        required: ["batchId", "state", "requests", "subjects", "deadline", "createdAt"],
        properties: {
          batchId: { type: "string" },
          state,
          requests: { type: "integer" },
          subjects: { type: "integer" },
          deadline: { type: "string" },
          createdAt: { type: "string" },
          plan: { type: "object", description: "the plan's figures: counts and bytes, never an ID" },
          approvalRequestedAt: { type: "string" },
          reason: { type: "string", description: "why it needs attention" },
        },
      },
    },
  },
};

const operationsReply: JsonSchema = {
  type: "object",
  required: ["byState", "overdue", "lastFailures", "deadLetterQueues", "at"],
  properties: {
    byState: { type: "object", description: "how many requests are in each state" },
    overdue: { type: "integer", description: "open requests past their deadline" },
    lastFailures: {
      type: "array",
      description:
        "the last purge failures (the errors table), newest first: objects and reasons, never an ID",
      items: { type: "object" },
    },
    deadLetterQueues: {
      type: "array",
      description:
        "each dead-letter queue's depth: messages waiting (ApproximateNumberOfMessages) and in flight (ApproximateNumberOfMessagesNotVisible)",
      items: {
        type: "object",
        required: ["name", "messages", "inFlight"],
        properties: {
          name: { type: "string" },
          messages: { type: "integer" },
          inFlight: { type: "integer" },
        },
      },
    },
    oldestOpen: {
      type: "object",
      description: "the open request received first",
      properties: {
        requestId: { type: "string" },
        state,
        receivedAt: { type: "string" },
        ageDays: { type: "integer" },
      },
    },
    at: { type: "string" },
  },
};

const reportReply: JsonSchema = {
  type: "object",
  required: ["report", "signature"],
  properties: {
    report: { type: "object", description: "the request's report as stored (keyed hashes only)" },
    signature: {
      type: "object",
      required: ["valid", "message"],
      description: "the report's signature checked against the stack's report signing key",
      properties: {
        valid: { type: "boolean" },
        fingerprint: { type: "string" },
        message: { type: "string" },
      },
    },
  },
};

/** `open`: every state but the end states; or one state by name. */
export const listStates = ["open", ...erasureStates] as const;
export const maxPageSize = 100;

const listReply: JsonSchema = {
  type: "object",
  required: ["requests"],
  properties: {
    requests: {
      type: "array",
      items: {
        type: "object",
        required: ["requestId", "state", "deadline"],
        properties: {
          requestId: { type: "string" },
          state,
          deadline: { type: "string" },
          receivedAt: { type: "string" },
          subjects: { type: "integer" },
          batchId: { type: "string" },
        },
      },
    },
    nextCursor: { type: "string", description: "pass as `cursor` for the next page; absent on the last" },
  },
};

const cancelReply: JsonSchema = {
  type: "object",
  required: ["cancelled", "id", "message"],
  properties: {
    cancelled: { type: "string", enum: ["request", "batch"] },
    id: { type: "string" },
    requestsCancelled: { type: "array", items: { type: "string" } },
    message: { type: "string" },
  },
};

const optInReply: JsonSchema = {
  type: "object",
  required: ["optInId", "optedIn", "notRegistered", "message"],
  properties: {
    optInId: { type: "string" },
    optedIn: { type: "integer" },
    notRegistered: { type: "integer" },
    filterStatus: { type: "string" },
    filterGeneration: { type: "integer" },
    message: { type: "string" },
  },
};

const decisionBody = (reasonRequired: boolean): JsonSchema => ({
  type: "object",
  additionalProperties: false,
  ...(reasonRequired ? { required: ["reason"] } : {}),
  properties: {
    reason: { ...text(1000, "why"), ...(reasonRequired ? { minLength: 1 } : {}) },
    by: text(
      256,
      "a note: who decides, as typed (the decision records the authenticated caller: IAM ARN or Cognito subject)",
    ),
  },
});

const decisionReply: JsonSchema = {
  type: "object",
  required: ["batchId", "decision", "status", "message"],
  properties: {
    batchId: { type: "string" },
    decision: { type: "string", enum: ["approve", "reject"] },
    status: { type: "string", enum: ["FORGETTING_NEXT", "REJECTED"] },
    message: { type: "string" },
  },
};

const retryReply: JsonSchema = {
  type: "object",
  required: ["status", "batchId", "resumedAt", "requestIds", "executionId", "message"],
  properties: {
    status: { type: "string", enum: ["RESUMED"] },
    batchId: { type: "string" },
    resumedAt: { type: "string", enum: ["Find", "Forget"] },
    round: { type: "integer", minimum: 0 },
    requestIds: { type: "array", items: { type: "string" } },
    executionId: { type: "string" },
    message: { type: "string" },
  },
};

// A token is about 300 characters (claims with a 128-character batch id, then the MAC). The bound
// keeps the URL within what servers take: 512 characters, even percent-encoded at 12 bytes each
// (4-byte UTF-8), stay under Node's 16 KiB and API Gateway's 10 KiB request-line limits.
const linkToken: JsonSchema = {
  type: "string",
  minLength: 1,
  maxLength: 512,
  pattern: "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$",
  description: "a signed approval link token",
};

const kib = 1024;

export const routes: readonly Route[] = [
  {
    operationId: "fileRequest",
    method: "POST",
    path: "/requests",
    summary:
      "File an erasure request (the `request` function's event); an Idempotency-Key replays the first reply",
    target: { function: "request", factory: "createRequestHandler" },
    auth: "caller",
    headers: {
      "Idempotency-Key": {
        type: "string",
        minLength: 1,
        maxLength: 256,
        description: "the same key within the idempotency window returns the first request's reply",
      },
    },
    body: {
      schema: requestBody,
      contentType: "application/json",
      required: true,
      refusedFields: { ids: idsFieldRefusal },
    },
    // 100,000 IDs of a UUID's length fit (a request larger than one batch is split into parts); the
    // event must stay under Lambda's 6 MB synchronous payload, API Gateway's own cap is 10 MiB.
    maxBodyBytes: 4096 * kib,
    success: { status: 201, description: "the request as recorded", schema: requestReply },
    errors: [400, 403, 413, 415, 429, 500],
  },
  {
    operationId: "listRequests",
    method: "GET",
    path: "/requests",
    summary: "Requests in a state (`open`: not yet ended), earliest deadline first, a page at a time",
    target: { local: "requestList" },
    auth: "caller",
    query: {
      state: { type: "string", enum: listStates, description: "`open` (default) or a state" },
      limit: {
        type: "integer",
        minimum: 1,
        maximum: maxPageSize,
        description: `page size (default 25, at most ${maxPageSize})`,
      },
      cursor: {
        type: "string",
        maxLength: 2048,
        pattern: "^[A-Za-z0-9_-]+$",
        description: "nextCursor of the previous page",
      },
    },
    maxBodyBytes: 0,
    success: { status: 200, description: "one page of requests", schema: listReply },
    errors: [400, 429, 500],
  },
  {
    operationId: "getRequest",
    method: "GET",
    path: "/requests/{id}",
    summary:
      "A request's state, deadline, days left, its batch's progress and its report (the `status` reply)",
    target: { function: "status", factory: "createStatusHandler" },
    auth: "caller",
    pathParameters: { id: idSchema },
    maxBodyBytes: 0,
    success: { status: 200, description: "the request's status", schema: statusReply },
    errors: [400, 404, 429, 500],
  },
  {
    operationId: "cancelRequest",
    method: "POST",
    path: "/requests/{id}/cancel",
    summary: "Cancel a request that is not yet batched (409 names the batch to cancel otherwise)",
    target: { function: "cancel", factory: "createCancelHandler" },
    auth: "caller",
    pathParameters: { id: idSchema },
    maxBodyBytes: 16 * kib,
    success: { status: 200, description: "what was cancelled", schema: cancelReply },
    errors: [400, 403, 404, 409, 413, 429, 500],
  },
  {
    operationId: "optIn",
    method: "POST",
    path: "/opt-ins",
    summary:
      "Opt customers back in to ingest (refused while an open erasure holds one); audited with the caller",
    target: { function: "opt-in", factory: "createOptInHandler" },
    auth: "caller",
    body: {
      schema: {
        type: "object",
        required: ["customerIds", "reason"],
        additionalProperties: false,
        properties: {
          customerIds: { type: "array", minItems: 1, maxItems: maxIdsPerRequest, items: customerId },
          reason: { ...text(1000, "why (audited)"), minLength: 1 },
          by: text(256, "a note: who decides, as typed (the audit records the authenticated caller)"),
        },
      },
      contentType: "application/json",
      required: true,
    },
    maxBodyBytes: 1024 * kib,
    success: { status: 200, description: "how many were opted back in", schema: optInReply },
    errors: [400, 403, 413, 415, 429, 500],
  },
  {
    operationId: "approveBatch",
    method: "POST",
    path: "/batches/{id}/approve",
    summary: "Approve a batch waiting for approval: purging starts",
    target: { function: "approval", factory: "createApprovalHandler" },
    auth: "caller",
    pathParameters: { id: idSchema },
    body: { schema: decisionBody(false), contentType: "application/json", required: false },
    maxBodyBytes: 16 * kib,
    success: { status: 200, description: "the decision taken", schema: decisionReply },
    errors: [400, 403, 404, 409, 413, 415, 429, 500],
  },
  {
    operationId: "rejectBatch",
    method: "POST",
    path: "/batches/{id}/reject",
    summary: "Reject a batch waiting for approval: its requests end REJECTED with the reason",
    target: { function: "approval", factory: "createApprovalHandler" },
    auth: "caller",
    pathParameters: { id: idSchema },
    body: { schema: decisionBody(true), contentType: "application/json", required: true },
    maxBodyBytes: 16 * kib,
    success: { status: 200, description: "the decision taken", schema: decisionReply },
    errors: [400, 403, 404, 409, 413, 415, 429, 500],
  },
  {
    operationId: "retryBatch",
    method: "POST",
    path: "/batches/{id}/retry",
    summary:
      "Resume a batch that needs attention (or whose execution ended without moving it) from the step that failed; objects already purged are not purged again",
    target: { function: "batch", factory: "createBatchHandler" },
    auth: "caller",
    pathParameters: { id: idSchema },
    body: {
      schema: {
        type: "object",
        additionalProperties: false,
        properties: { by: text(256, "a note: who resumes it, as typed (the audit records the caller)") },
      },
      contentType: "application/json",
      required: false,
    },
    maxBodyBytes: 16 * kib,
    success: {
      status: 200,
      description: "where the batch resumed, its requests, the new execution",
      schema: retryReply,
    },
    errors: [400, 403, 404, 409, 413, 415, 429, 500],
  },
  {
    operationId: "getReport",
    method: "GET",
    path: "/requests/{id}/report",
    summary:
      "A request's report as stored, and its signature checked against the stack's report signing key (as `lethe report verify` checks it)",
    target: { local: "report" },
    auth: "caller",
    pathParameters: { id: idSchema },
    maxBodyBytes: 0,
    success: { status: 200, description: "the report and its signature check", schema: reportReply },
    errors: [400, 404, 429, 500],
  },
  {
    operationId: "getCertificate",
    method: "GET",
    path: "/requests/{id}/certificate",
    summary:
      "A request's certificate of erasure (the signed report's printable HTML, as `lethe report --format html`)",
    target: { local: "report" },
    auth: "caller",
    pathParameters: { id: idSchema },
    maxBodyBytes: 0,
    success: { status: 200, description: "the certificate", html: true },
    errors: [400, 404, 429, 500],
  },
  {
    operationId: "listBatches",
    method: "GET",
    path: "/batches",
    summary:
      "Batches waiting for approval (with the plan's counts and bytes) or needing attention (with why)",
    target: { local: "batchList" },
    auth: "caller",
    query: {
      state: {
        type: "string",
        enum: ["AWAITING_APPROVAL", "NEEDS_ATTENTION"],
        description: "`AWAITING_APPROVAL` (default) or `NEEDS_ATTENTION`",
      },
    },
    maxBodyBytes: 0,
    success: { status: 200, description: "the batches, earliest deadline first", schema: batchListReply },
    errors: [400, 429, 500],
  },
  {
    operationId: "operationsSummary",
    method: "GET",
    path: "/operations",
    summary:
      "Requests by state, open requests overdue, the oldest open request's age, the dead-letter queues' depths, the last purge failures",
    target: { local: "operations" },
    auth: "caller",
    maxBodyBytes: 0,
    success: { status: 200, description: "the figures", schema: operationsReply },
    errors: [429, 500],
  },
  {
    operationId: "consolePage",
    method: "GET",
    path: "/console",
    summary:
      "The operator console (docs/console.md): served with the Cognito authoriser (it signs in through the hosted UI) and by `lethe api --local`",
    target: { local: "console" },
    auth: "none",
    maxBodyBytes: 0,
    success: { status: 200, description: "the console's page", html: true },
    errors: [404, 429, 500],
  },
  {
    operationId: "consoleScript",
    method: "GET",
    path: "/console/app.js",
    summary: "The console's script",
    target: { local: "console" },
    auth: "none",
    maxBodyBytes: 0,
    success: { status: 200, description: "the script", mediaType: "text/javascript" },
    errors: [404, 429, 500],
  },
  {
    operationId: "consoleStyle",
    method: "GET",
    path: "/console/app.css",
    summary: "The console's style sheet",
    target: { local: "console" },
    auth: "none",
    maxBodyBytes: 0,
    success: { status: 200, description: "the style sheet", mediaType: "text/css" },
    errors: [404, 429, 500],
  },
  {
    operationId: "openApiDocument",
    method: "GET",
    path: "/openapi.json",
    summary: "This document",
    target: { local: "openapi" },
    auth: "none",
    maxBodyBytes: 0,
    success: { status: 200, description: "the OpenAPI 3 document of this API", schema: { type: "object" } },
    errors: [429, 500],
  },
  {
    operationId: "showApprovalLink",
    method: "GET",
    path: "/approval-links/{token}",
    summary: "An approval link from the notification: a confirmation page with the plan; decides nothing",
    target: { local: "approvalLinkPage" },
    auth: "link",
    pathParameters: { token: linkToken },
    maxBodyBytes: 0,
    success: { status: 200, description: "the confirmation page and its form", html: true },
    errors: [400, 404, 409, 410, 429, 500],
  },
  {
    operationId: "useApprovalLink",
    method: "POST",
    path: "/approval-links/{token}",
    summary: "The confirmation page's form: takes the link's decision, once",
    target: { local: "approvalLinkDecision" },
    auth: "link",
    pathParameters: { token: linkToken },
    body: {
      schema: {
        type: "object",
        properties: {
          reason: text(1000, "why (a rejection needs one)"),
          by: text(256, "a note: who decides, as typed (the decision records the link as who decided)"),
        },
      },
      contentType: "application/x-www-form-urlencoded",
      required: false,
    },
    maxBodyBytes: 16 * kib,
    success: { status: 200, description: "the decision taken", html: true },
    errors: [400, 404, 409, 410, 413, 415, 429, 500],
  },
];

/** What each error status means in this API (the OpenAPI document's descriptions). */
export const errorStatusDescriptions: Record<number, { description: string; codes: ApiErrorCode[] }> = {
  400: { description: "bad input: the message names the field", codes: ["invalid_input", "invalid_json"] },
  403: {
    description: "a browser's POST not sent from this API's console, or without the console's CSRF token",
    codes: ["forbidden"],
  },
  404: { description: "no request or batch with that id", codes: ["not_found"] },
  409: { description: "the move is not allowed in the item's current state", codes: ["state_conflict"] },
  410: { description: "the approval link has expired", codes: ["link_expired"] },
  413: { description: "the body is over the route's limit", codes: ["body_too_large"] },
  415: { description: "the body is not of the route's content type", codes: ["unsupported_media_type"] },
  429: { description: "throttled by the stage's rate or burst limit", codes: ["throttled"] },
  500: { description: "an internal error (details in the function's logs)", codes: ["internal_error"] },
};

/** `/requests/{id}` against `/requests/r-1`: the path parameters, or undefined when it does not match. */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const t = template.split("/");
  const p = path.split("/");
  if (t.length !== p.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const m = /^\{(\w+)\}$/.exec(t[i]);
    if (m) {
      if (p[i] === "") return undefined;
      try {
        params[m[1]] = decodeURIComponent(p[i]);
      } catch {
        return undefined;
      }
    } else if (t[i] !== p[i]) return undefined;
  }
  return params;
}
