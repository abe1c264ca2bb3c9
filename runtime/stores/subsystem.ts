// Another team's system behind HTTPS that erases subjects when asked (protocol in docs/stores.md).
// sync: one `POST <url>/erasures` answers done or failed. async: the POST is accepted (pending), then
// each `GET <url>/erasures/<request id>` answers pending, done or failed. Each call here is one HTTP
// exchange: the waiting between polls belongs to the state machine (Wait states), never to a
// sleeping function. The reply says what to call next (`nextAction`) until the outcome is final.
//
// Every request is signed (HMAC-SHA256 over method, path, timestamp and body with a secret from
// Secrets Manager) and idempotent (`Idempotency-Key`: the request id), so submitting again after a
// timeout cannot erase twice or start a second job. The IDs travel in the HTTPS body (the point of the
// call) and nowhere else: no log line, error or reply here holds one.
import { inSubsegment } from "../aws/tracing";
import { createHmac } from "node:crypto";
import { storeDefaults, SubsystemStoreConfig } from "../contracts/stores";
import { SecretError, SecretReader } from "./secrets";

export const signatureHeaders = {
  timestamp: "X-Lethe-Timestamp",
  signature: "X-Lethe-Signature",
  idempotencyKey: "Idempotency-Key",
  fencingToken: "X-Lethe-Fencing-Token",
} as const;

/** The string signed: method, path (with query), timestamp (Unix seconds) and body, one per line. */
export function signingInput(method: string, path: string, timestamp: string, body: string): string {
  return `${method.toUpperCase()}\n${path}\n${timestamp}\n${body}`;
}

/** `v1=<hex HMAC-SHA256>` of the signing input. */
export function signRequest(
  secret: string,
  method: string,
  path: string,
  timestamp: string,
  body: string,
): string {
  return `v1=${createHmac("sha256", secret)
    .update(signingInput(method, path, timestamp, body))
    .digest("hex")}`;
}

export interface SubsystemCall {
  batchId: string;
  /** The idempotency key; the batch id when the call is for a whole batch. */
  requestId: string;
  /** ISO time by which the subsystem must be done; past it, a pending erasure needs attention. */
  deadline?: string;
  fencingToken?: number;
}

export type SubsystemStatus = "COMPLETED" | "PENDING" | "NEEDS_ATTENTION";

export interface SubsystemOutcome {
  status: SubsystemStatus;
  /** What the state machine calls after its Wait while PENDING. */
  nextAction?: "submit" | "poll";
  /** Items the subsystem says it erased, when it says. */
  erased?: number;
  /** Why it is not (yet) COMPLETED, in words fit for the owner's alert. */
  reason?: string;
  httpStatus?: number;
}

export interface SubsystemClientOptions {
  /** Allows http:// to 127.0.0.1 or localhost: the local test double only. Deployed stores are https. */
  allowLoopbackHttp?: boolean;
  now?: () => number;
  fetch?: typeof fetch;
}

export interface SubsystemClient {
  submit(call: SubsystemCall, ids: readonly string[]): Promise<SubsystemOutcome>;
  poll(call: SubsystemCall): Promise<SubsystemOutcome>;
}

interface Answer {
  httpStatus: number;
  status?: string;
  erased?: number;
  reason?: string;
}

export function subsystemClient(
  config: SubsystemStoreConfig,
  secrets: SecretReader,
  options: SubsystemClientOptions = {},
): SubsystemClient {
  const base = new URL(config.url.endsWith("/") ? config.url : `${config.url}/`);
  const loopback = base.hostname === "127.0.0.1" || base.hostname === "localhost";
  if (base.protocol !== "https:" && !(options.allowLoopbackHttp && loopback && base.protocol === "http:"))
    throw new Error(`store "${config.name}": url must be https://, got ${base.protocol}//${base.host}`);
  const now = options.now ?? Date.now;
  const send = options.fetch ?? fetch;
  const timeoutMs = config.timeoutMs ?? storeDefaults.httpTimeoutMs;

  const exchange = async (
    method: "GET" | "POST",
    path: string,
    body: string,
    call: SubsystemCall,
    secret: string,
  ) => {
    const url = new URL(path, base);
    const timestamp = String(Math.floor(now() / 1000));
    const headers: Record<string, string> = {
      [signatureHeaders.timestamp]: timestamp,
      [signatureHeaders.signature]: signRequest(secret, method, url.pathname + url.search, timestamp, body),
      [signatureHeaders.idempotencyKey]: call.requestId,
      accept: "application/json",
    };
    if (body !== "") headers["content-type"] = "application/json";
    if (call.fencingToken !== undefined) headers[signatureHeaders.fencingToken] = String(call.fencingToken);
    // One subsegment per exchange, named by the store (its path holds a request id, its body the IDs:
    // neither is recorded); the status is annotated once answered.
    const { res, text } = await inSubsegment(
      `subsystem ${config.name}`,
      { store: config.name, method },
      async (segment) => {
        const res = await send(url, {
          method,
          headers,
          body: body === "" ? undefined : body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        segment?.addAnnotation("httpStatus", res.status);
        return { res, text: await res.text() };
      },
    );
    let json: Record<string, unknown> = {};
    try {
      json = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      json = {};
    }
    const answer: Answer = { httpStatus: res.status };
    if (typeof json.status === "string") answer.status = json.status.toLowerCase();
    if (typeof json.erased === "number") answer.erased = json.erased;
    // The reason is the subsystem's own words, cut short: it goes into an alert, never an ID of ours.
    if (typeof json.reason === "string") answer.reason = json.reason.slice(0, 300);
    return answer;
  };

  /** One signed exchange; a refused signature reads the secret again once (it may have rotated). */
  const call = async (
    method: "GET" | "POST",
    path: string,
    body: string,
    c: SubsystemCall,
  ): Promise<Answer> => {
    const first = await exchange(method, path, body, c, await secrets.get(config.signingSecret));
    if (first.httpStatus !== 401) return first;
    return exchange(method, path, body, c, await secrets.refresh(config.signingSecret));
  };

  const pastDeadline = (c: SubsystemCall): boolean =>
    c.deadline !== undefined && Number.isFinite(Date.parse(c.deadline)) && now() >= Date.parse(c.deadline);

  const transient = (
    c: SubsystemCall,
    reason: string,
    retryWith: "submit" | "poll",
    httpStatus?: number,
  ): SubsystemOutcome =>
    pastDeadline(c)
      ? {
          status: "NEEDS_ATTENTION",
          httpStatus,
          reason: `not done by the deadline ${c.deadline} (last answer: ${reason})`,
        }
      : { status: "PENDING", nextAction: retryWith, httpStatus, reason };

  /** Maps an answer (or a transport failure) to an outcome. */
  const outcome = async (
    c: SubsystemCall,
    attempt: () => Promise<Answer>,
    retryWith: "submit" | "poll",
  ): Promise<SubsystemOutcome> => {
    let a: Answer;
    try {
      a = await attempt();
    } catch (error) {
      if (error instanceof SecretError) return { status: "NEEDS_ATTENTION", reason: error.message };
      const name = (error as { name?: string }).name;
      const reason =
        name === "TimeoutError" || name === "AbortError"
          ? `no answer within ${timeoutMs} ms`
          : `cannot reach ${base.host}: ${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`;
      return transient(c, reason, retryWith);
    }
    if (a.httpStatus === 401 || a.httpStatus === 403)
      return {
        status: "NEEDS_ATTENTION",
        httpStatus: a.httpStatus,
        reason: `refused Lethe's signed request (HTTP ${a.httpStatus})`,
      };
    if (a.httpStatus === 429 || a.httpStatus >= 500)
      return transient(
        c,
        `answered HTTP ${a.httpStatus}${a.reason ? `: ${a.reason}` : ""}`,
        retryWith,
        a.httpStatus,
      );
    if (a.status === "done" && a.httpStatus < 300)
      return {
        status: "COMPLETED",
        httpStatus: a.httpStatus,
        ...(a.erased !== undefined ? { erased: a.erased } : {}),
      };
    if (a.status === "failed" || a.httpStatus >= 400)
      return {
        status: "NEEDS_ATTENTION",
        httpStatus: a.httpStatus,
        reason: `answered failed (HTTP ${a.httpStatus})${a.reason ? `: ${a.reason}` : ""}`,
      };
    if (a.status === "pending") {
      if (config.mode === "sync")
        return {
          status: "NEEDS_ATTENTION",
          httpStatus: a.httpStatus,
          reason: "a sync subsystem answered pending",
        };
      return transient(c, "still pending", "poll", a.httpStatus);
    }
    return {
      status: "NEEDS_ATTENTION",
      httpStatus: a.httpStatus,
      reason: `answered HTTP ${a.httpStatus} without a status of done, pending or failed`,
    };
  };

  const requestPath = (c: SubsystemCall) => `erasures/${encodeURIComponent(c.requestId)}`;

  return {
    submit: (c, ids) => {
      const body = JSON.stringify({
        requestId: c.requestId,
        batchId: c.batchId,
        deadline: c.deadline,
        subjects: ids,
      });
      return outcome(c, () => call("POST", "erasures", body, c), "submit");
    },
    poll: (c) => {
      if (config.mode === "sync")
        return Promise.resolve({
          status: "NEEDS_ATTENTION",
          reason: "a sync subsystem is not polled: submit answers",
        });
      return outcome(c, () => call("GET", requestPath(c), "", c), "poll");
    },
  };
}
