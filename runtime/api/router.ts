// The API function's work: an API Gateway (REST, proxy) event -> the route of the route table it
// matches -> checks (size, content type, JSON, the route's schemas) -> the console function's event
// -> its reply or its failure as an HTTP answer. The console functions are reached through `call`
// (Lambda Invoke deployed; the packaged handler in process locally), so the API runs exactly the
// code the console runs. Logs name routes and statuses only: no path, no body, no ID.
import { timingSafeEqual } from "node:crypto";
import type { BatchRecord } from "../erasure/batches";
import type { RequestListQuery, RequestPage } from "../erasure/requestPages";
import { ApiError, apiErrorOf, failureOf, FunctionFailure } from "./errors";
import { LinkSigner, readLinkToken, taskTokenDigest, LinkClaims } from "./approvalLinks";
import { confirmationPage, decidedPage, refusedPage } from "./pages";
import { matchPath, Route, routes } from "./routes";
import type { ErasureReport } from "../contracts/report";
import type { SignedReportBytes } from "../contracts/reportSignature";
import type { ActionableBatchState, BatchListItem } from "../erasure/batchList";
import type { OperationsSummary } from "../erasure/operationsSummary";
import type { SignatureCheck } from "../erasure/report/signatureCheck";
import { renderReportHtml } from "../erasure/report/html";
import {
  consoleCsp,
  consoleHtml,
  consoleScript,
  consoleStyle,
  ConsoleSignIn,
  cookieValue,
  csrfCookieName,
  csrfHeaderName,
  newCsrfToken,
} from "./console/consolePage";
import { schemaViolation } from "./schema";

/** The parts of API Gateway's REST proxy event (payload 1.0) the API reads. */
export interface ApiEvent {
  httpMethod: string;
  path: string;
  headers?: Record<string, string | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext?: {
    requestId?: string;
    identity?: { userArn?: string | null; caller?: string | null } | null;
    authorizer?: { claims?: Record<string, string> } | null;
    /** API Gateway's stage; `local` from `lethe api --local` (cli/work/apiServer.ts). */
    stage?: string;
  };
}

export interface ApiResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export type ConsoleFunction = "request" | "status" | "cancel" | "approval" | "opt-in" | "batch";

export type CallOutcome = { ok: true; reply: unknown } | { ok: false; failure: FunctionFailure };

export interface ApiDeps {
  call(fn: ConsoleFunction, event: Record<string, unknown>): Promise<CallOutcome>;
  listRequests(query: RequestListQuery): Promise<RequestPage>;
  getBatch(batchId: string): Promise<BatchRecord | undefined>;
  /** Checks approval links; undefined when the stack has no link key (link routes then answer 404). */
  linkSigner?: LinkSigner;
  openapi(): unknown;
  listBatches(state: ActionableBatchState): Promise<BatchListItem[]>;
  operations(): Promise<OperationsSummary>;
  /** The request's own stored report and its signature checked against the stack's key; undefined: none (yet). */
  readReport(
    requestId: string,
  ): Promise<{ stored: SignedReportBytes & { report: ErasureReport }; check: SignatureCheck } | undefined>;
  /** The console's Cognito sign-in (deployed with the cognito authoriser); without it only a local server serves the console. */
  consoleSignIn?: ConsoleSignIn;
  log?(entry: Record<string, unknown>): void;
  now?: () => Date;
}

const jsonHeaders = { "content-type": "application/json", "cache-control": "no-store" };
const htmlHeaders = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
  "x-frame-options": "DENY",
  // Not "no-referrer": under it a browser posts the confirmation form with `Origin: null`, and the
  // POST's Origin check (sameOriginPost) needs the page's own origin.
  "referrer-policy": "same-origin",
};

function json(statusCode: number, body: unknown): ApiResult {
  return { statusCode, headers: { ...jsonHeaders }, body: JSON.stringify(body) };
}

function html(statusCode: number, body: string): ApiResult {
  return { statusCode, headers: { ...htmlHeaders }, body };
}

function header(event: ApiEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {}))
    if (k.toLowerCase() === wanted) return v ?? undefined;
  return undefined;
}

/** The route and its path parameters; 404/405 when none. */
export function findRoute(method: string, path: string): { route: Route; params: Record<string, string> } {
  const matching = routes
    .map((route) => ({ route, params: matchPath(route.path, path) }))
    .filter((m): m is { route: Route; params: Record<string, string> } => m.params !== undefined);
  // A literal segment wins over a parameter (`/requests` before `/requests/{id}`).
  const found = matching.find((m) => m.route.method === method);
  if (found) return found;
  if (matching.length > 0)
    throw new ApiError(
      "method_not_allowed",
      `${method} is not allowed here; use ${[...new Set(matching.map((m) => m.route.method))].join(" or ")}`,
    );
  throw new ApiError("route_not_found", "no such route; GET /openapi.json lists them");
}

function bodyText(event: ApiEvent, route: Route): string | undefined {
  if (event.body === undefined || event.body === null || event.body === "") return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, "base64") : Buffer.from(event.body, "utf8");
  if (raw.length > route.maxBodyBytes)
    throw new ApiError(
      "body_too_large",
      `the body is ${raw.length} bytes; this route takes at most ${route.maxBodyBytes}`,
    );
  return raw.toString("utf8");
}

function parsedBody(event: ApiEvent, route: Route): Record<string, unknown> | undefined {
  const text = bodyText(event, route);
  if (!route.body) return undefined;
  if (text === undefined) {
    if (route.body.required) throw new ApiError("invalid_input", "the body is required: a JSON object");
    return undefined;
  }
  const type = (header(event, "content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== route.body.contentType)
    throw new ApiError("unsupported_media_type", `content-type must be ${route.body.contentType}`);
  let value: unknown;
  if (route.body.contentType === "application/json") {
    try {
      value = JSON.parse(text);
    } catch {
      throw new ApiError("invalid_json", "the body is not valid JSON");
    }
  } else {
    value = Object.fromEntries(new URLSearchParams(text));
  }
  for (const [name, refusal] of Object.entries(route.body.refusedFields ?? {}))
    if (value && typeof value === "object" && name in value) throw new ApiError("invalid_input", refusal);
  const bad = schemaViolation(route.body.schema, value);
  if (bad) throw new ApiError("invalid_input", bad);
  return value as Record<string, unknown>;
}

function checkParams(route: Route, params: Record<string, string>): void {
  for (const [name, schema] of Object.entries(route.pathParameters ?? {})) {
    const bad = schemaViolation(schema, params[name], name);
    if (bad) throw new ApiError("invalid_input", bad);
  }
}

function queryOf(event: ApiEvent, route: Route): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(route.query ?? {})) {
    const raw = event.queryStringParameters?.[name];
    if (raw === undefined || raw === null) continue;
    const value = schema.type === "integer" ? (/^-?\d+$/.test(raw) ? Number(raw) : raw) : raw;
    const bad = schemaViolation(schema, value, name);
    if (bad) throw new ApiError("invalid_input", bad);
    out[name] = value;
  }
  return out;
}

/**
 * Who called, as API Gateway authenticated them: the IAM principal's ARN, or the Cognito user's
 * subject (stable, unlike a username or e-mail); never a customer. Decisions record it as `by`.
 */
function callerOf(event: ApiEvent): string | undefined {
  const sub = event.requestContext?.authorizer?.claims?.sub;
  return event.requestContext?.identity?.userArn ?? (sub ? `cognito:${sub}` : undefined);
}

/**
 * A form POST a browser sent from the API's own pages: its Origin (when the browser sends one: every
 * current browser does on a POST) names the host the request was sent to, and Sec-Fetch-Site, when
 * sent, says same-origin. A page of another site cannot make an approver's browser decide.
 */
function sameOriginPost(event: ApiEvent): boolean {
  const site = header(event, "sec-fetch-site");
  if (site !== undefined && site !== "same-origin") return false;
  const origin = header(event, "origin");
  if (origin === undefined) return true;
  const host = header(event, "host");
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false; // "null" (an opaque origin) or garbage
  }
}

/**
 * A POST a browser sent (it carries Origin, Sec-Fetch-Site or the console's cookie) must come from
 * this API's own console: same origin, and the CSRF token the console page was given (its cookie)
 * echoed in a header a form of another site cannot set. Clients that are not browsers (the CLI,
 * SigV4 and token callers) send none of these and are not asked for a token.
 */
function checkBrowserPost(event: ApiEvent): void {
  const cookie = cookieValue(header(event, "cookie"), csrfCookieName);
  const fromBrowser =
    cookie !== undefined ||
    header(event, "origin") !== undefined ||
    header(event, "sec-fetch-site") !== undefined;
  if (!fromBrowser) return;
  if (!sameOriginPost(event))
    throw new ApiError("forbidden", "a browser's POST must be sent from this API's console (same origin)");
  const sent = header(event, csrfHeaderName);
  if (!cookie || !sent || !sameText(cookie, sent))
    throw new ApiError(
      "forbidden",
      `the console's CSRF token is missing or does not match (${csrfHeaderName}): reload the console`,
    );
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The console is served deployed with Cognito sign-in, and by `lethe api --local` (loopback, no login). */
function answerConsole(deps: ApiDeps, route: Route, event: ApiEvent): ApiResult {
  const local = event.requestContext?.stage === "local";
  if (!deps.consoleSignIn && !local)
    throw new ApiError(
      "route_not_found",
      'the console is served only when lethe:apiAuthorizer is "cognito" (docs/console.md), or by `lethe api --local`',
    );
  const headers = {
    "cache-control": "no-store",
    "content-security-policy": consoleCsp(deps.consoleSignIn),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
  };
  if (route.operationId === "consoleScript")
    return {
      statusCode: 200,
      headers: { ...headers, "content-type": "text/javascript; charset=utf-8" },
      body: consoleScript(),
    };
  if (route.operationId === "consoleStyle")
    return {
      statusCode: 200,
      headers: { ...headers, "content-type": "text/css; charset=utf-8" },
      body: consoleStyle(),
    };
  // One CSRF token per page load: in the page for the script, and in a cookie no script can read.
  const csrf = newCsrfToken();
  const https = (header(event, "x-forwarded-proto") ?? "").toLowerCase() === "https";
  return {
    statusCode: 200,
    headers: {
      ...headers,
      "content-type": "text/html; charset=utf-8",
      "set-cookie": `${csrfCookieName}=${csrf}; Path=/; HttpOnly; SameSite=Strict${https ? "; Secure" : ""}`,
    },
    body: consoleHtml({ csrf, ...(deps.consoleSignIn ? { signIn: deps.consoleSignIn } : {}) }),
  };
}

/** The certificate (the signed report's HTML), with a policy that allows its one inline style sheet. */
async function answerCertificate(deps: ApiDeps, params: Record<string, string>): Promise<ApiResult> {
  const found = await deps.readReport(params.id);
  if (!found)
    throw new ApiError(
      "not_found",
      `request ${params.id} has no report (yet, or it is a request in parts: each part has its own)`,
    );
  return {
    statusCode: 200,
    headers: {
      ...htmlHeaders,
      "content-security-policy": consoleCsp(deps.consoleSignIn),
      "content-disposition": `inline; filename="certificate-${params.id}.html"`,
    },
    body: renderReportHtml(found.stored.report, found.stored),
  };
}

async function callConsole(
  deps: ApiDeps,
  fn: ConsoleFunction,
  consoleEvent: Record<string, unknown>,
): Promise<unknown> {
  const outcome = await deps.call(fn, consoleEvent);
  if (!outcome.ok) {
    const e = apiErrorOf(outcome.failure);
    // The caller gets a fixed message; the operators get the error's class and message (the console
    // functions' errors name no customer ID), so a 500 can always be explained from the logs.
    if (e.status >= 500)
      deps.log?.({
        level: "error",
        function: fn,
        error: outcome.failure.errorType,
        message: outcome.failure.errorMessage,
      });
    throw e;
  }
  return outcome.reply;
}

async function answerJson(
  deps: ApiDeps,
  route: Route,
  event: ApiEvent,
  params: Record<string, string>,
): Promise<ApiResult> {
  if (route.method === "POST") checkBrowserPost(event);
  const body = parsedBody(event, route);
  const query = queryOf(event, route);
  const caller = callerOf(event);
  let reply: unknown;
  switch (route.operationId) {
    case "fileRequest": {
      const key = header(event, "idempotency-key");
      if (key !== undefined) {
        const bad = schemaViolation(route.headers!["Idempotency-Key"], key, "Idempotency-Key");
        if (bad) throw new ApiError("invalid_input", bad);
      }
      reply = await callConsole(deps, "request", {
        ...body,
        ...(body?.requestedBy === undefined && caller ? { requestedBy: caller } : {}),
        ...(key !== undefined ? { idempotencyKey: key } : {}),
      });
      break;
    }
    case "listRequests":
      reply = await deps.listRequests({
        state: (query.state as string | undefined) ?? "open",
        limit: (query.limit as number | undefined) ?? 25,
        cursor: query.cursor as string | undefined,
      });
      break;
    case "getRequest":
      reply = await callConsole(deps, "status", { requestId: params.id });
      break;
    case "cancelRequest":
      reply = await callConsole(deps, "cancel", {
        requestId: params.id,
        ...(caller ? { principal: caller } : {}),
      });
      break;
    case "optIn":
      reply = await callConsole(deps, "opt-in", {
        ...body,
        principal: caller ?? "api (unauthenticated)",
      });
      break;
    case "approveBatch":
    case "rejectBatch":
      reply = await callConsole(deps, "approval", {
        batchId: params.id,
        decision: route.operationId === "approveBatch" ? "approve" : "reject",
        ...(body?.reason !== undefined && body.reason !== "" ? { reason: body.reason } : {}),
        // The authenticated caller decides; a typed name is kept beside it as a note.
        principal: caller ?? "api (unauthenticated)",
        ...(body?.by ? { by: body.by } : {}),
      });
      break;
    case "retryBatch":
      reply = await callConsole(deps, "batch", {
        retry: params.id,
        principal: caller ?? "api (unauthenticated)",
        ...(body?.by ? { by: body.by } : {}),
      });
      break;
    case "openApiDocument":
      reply = deps.openapi();
      break;
    case "listBatches":
      reply = {
        batches: await deps.listBatches(
          (query.state as ActionableBatchState | undefined) ?? "AWAITING_APPROVAL",
        ),
      };
      break;
    case "operationsSummary":
      reply = await deps.operations();
      break;
    case "getReport": {
      const found = await deps.readReport(params.id);
      if (!found)
        throw new ApiError(
          "not_found",
          `request ${params.id} has no report (yet, or it is a request in parts: each part has its own)`,
        );
      reply = { report: found.stored.report, signature: found.check };
      break;
    }
    default:
      throw new Error(`route ${route.operationId} has no JSON answer`);
  }
  return json(route.success.status, reply);
}

class LinkRefused extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

/** The link's claims and its batch, once the link is genuine, unexpired and its round still waits. */
async function checkedLink(
  deps: ApiDeps,
  token: string,
): Promise<{ claims: LinkClaims; batch: BatchRecord }> {
  if (!deps.linkSigner)
    throw new LinkRefused(404, "No approval links here", "This stack does not issue approval links.");
  const reading = await readLinkToken(deps.linkSigner, token, (deps.now ?? (() => new Date()))());
  if (!reading.ok && reading.problem === "forged")
    throw new LinkRefused(
      400,
      "This link is not valid",
      "This approval link was not issued by Lethe or has been altered. Use the link from the notification as it was sent.",
    );
  if (!reading.ok)
    throw new LinkRefused(
      410,
      "This link has expired",
      `This approval link expired at ${new Date(reading.claims!.x * 1000).toISOString()}. Decide with "lethe approve" or "lethe reject", or the API.`,
    );
  const { claims } = reading;
  const batch = await deps.getBatch(claims.b);
  if (!batch) throw new LinkRefused(404, "No such batch", `Batch ${claims.b} does not exist (any more).`);
  if (batch.approval?.decision)
    throw new LinkRefused(
      409,
      "This link was already used",
      `Batch ${claims.b} was already ${batch.approval.decision === "approve" ? "approved" : "rejected"}` +
        ` by ${batch.approval.by ?? "unknown"}${batch.approval.decidedAt ? ` at ${batch.approval.decidedAt}` : ""}. An approval link works once.`,
    );
  if (batch.status !== "AWAITING_APPROVAL")
    throw new LinkRefused(
      409,
      "Nothing to decide",
      `Batch ${claims.b} is ${batch.status}, not waiting for approval.`,
    );
  if (!batch.approval?.taskToken || taskTokenDigest(batch.approval.taskToken) !== claims.t)
    throw new LinkRefused(
      409,
      "This link is out of date",
      `This link belongs to an earlier approval of batch ${claims.b}; use the latest notification.`,
    );
  return { claims, batch };
}

async function answerLink(
  deps: ApiDeps,
  route: Route,
  event: ApiEvent,
  params: Record<string, string>,
): Promise<ApiResult> {
  try {
    if (route.operationId === "useApprovalLink" && !sameOriginPost(event))
      throw new LinkRefused(
        403,
        "This form was not sent from Lethe's page",
        "The decision must be posted from the confirmation page this link opens; a form on another site cannot decide.",
      );
    const body = route.operationId === "useApprovalLink" ? parsedBody(event, route) : undefined;
    const { claims, batch } = await checkedLink(deps, params.token);
    if (route.operationId === "showApprovalLink") {
      const plan = {
        requests: batch.requestIds.length,
        subjects: batch.subjectCount,
        deadline: batch.deadline,
        ...(batch.approval?.plan ?? {}),
      };
      return html(
        200,
        confirmationPage({
          batchId: claims.b,
          decision: claims.d,
          plan,
          expiresAt: new Date(claims.x * 1000).toISOString(),
          action: `${approvalLinkAction(event)}`,
        }),
      );
    }
    const reason =
      typeof body?.reason === "string" && body.reason.trim() !== "" ? body.reason.trim() : undefined;
    if (claims.d === "reject" && !reason)
      throw new LinkRefused(400, "A reason is needed", "A rejection needs a reason: go back and write one.");
    // Whoever holds the link decides (its MAC is the authentication); the typed name is a note.
    const typed = typeof body?.by === "string" && body.by.trim() !== "" ? body.by.trim() : undefined;
    const outcome = await deps.call("approval", {
      batchId: claims.b,
      decision: claims.d,
      principal: "approval link",
      ...(typed ? { by: typed } : {}),
      ...(reason ? { reason } : {}),
    });
    if (!outcome.ok) {
      const e = apiErrorOf(outcome.failure);
      throw new LinkRefused(
        e.status,
        e.status === 409 ? "This link was already used" : "The decision failed",
        e.message,
      );
    }
    const reply = outcome.reply as { message?: string };
    return html(200, decidedPage(claims.b, claims.d, reply.message ?? `batch ${claims.b}: ${claims.d}d`));
  } catch (err) {
    if (err instanceof LinkRefused) return html(err.status, refusedPage(err.title, err.message));
    if (err instanceof ApiError)
      return html(err.status, refusedPage("This request was refused", err.message));
    throw err;
  }
}

/** The form posts back to the link as the browser saw it (path only: the same origin and stage). */
function approvalLinkAction(event: ApiEvent): string {
  const last = event.path.split("/").pop() ?? "";
  return encodeURIComponent(decodeURIComponent(last));
}

export function createApiRouter(deps: ApiDeps): (event: ApiEvent) => Promise<ApiResult> {
  const log = deps.log ?? (() => undefined);
  return async (event) => {
    const started = Date.now();
    let operation = "unmatched";
    let result: ApiResult;
    try {
      const { route, params } = findRoute(event.httpMethod, event.path);
      operation = route.operationId;
      // A link's token is checked by its MAC, and a bad one answers with a page (answerLink).
      if (route.auth !== "link") checkParams(route, params);
      const target = route.target as { local?: string };
      result =
        route.auth === "link"
          ? await answerLink(deps, route, event, params)
          : target.local === "console"
            ? answerConsole(deps, route, event)
            : route.operationId === "getCertificate"
              ? await answerCertificate(deps, params)
              : await answerJson(deps, route, event, params);
    } catch (err) {
      if (err instanceof ApiError) result = json(err.status, err.body());
      else if ((err as Error)?.name === "UsageError") {
        // Bad input found by a module the API runs itself (the listing's cursor).
        const e = apiErrorOf(failureOf(err));
        result = json(e.status, e.body());
      } else {
        const failure = failureOf(err);
        log({ level: "error", operation, error: failure.errorType, message: failure.errorMessage });
        const e = new ApiError(
          "internal_error",
          "the request failed inside Lethe; the operators have the details",
        );
        result = json(e.status, e.body());
      }
    }
    log({
      level: "info",
      operation,
      status: result.statusCode,
      ms: Date.now() - started,
      awsRequestId: event.requestContext?.requestId,
    });
    return result;
  };
}
