// Every error the HTTP API answers: JSON `{code, message}` with a stable code (clients switch on it)
// and a message naming the field or the item. A console function's failure becomes one of these by
// its error's name, the way Lambda reports it (`errorType`), so it does not matter whether the
// function ran in this process or behind Lambda Invoke.
export const apiErrorCodes = [
  "invalid_input",
  "invalid_json",
  "not_found",
  "state_conflict",
  "link_expired",
  "link_invalid",
  "body_too_large",
  "unsupported_media_type",
  "method_not_allowed",
  "route_not_found",
  "unauthorized",
  "forbidden",
  "throttled",
  "internal_error",
] as const;
export type ApiErrorCode = (typeof apiErrorCodes)[number];

export const statusOfCode: Record<ApiErrorCode, number> = {
  invalid_input: 400,
  invalid_json: 400,
  link_invalid: 400,
  not_found: 404,
  route_not_found: 404,
  unauthorized: 401,
  forbidden: 403,
  method_not_allowed: 405,
  state_conflict: 409,
  link_expired: 410,
  body_too_large: 413,
  unsupported_media_type: 415,
  throttled: 429,
  internal_error: 500,
};

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.message = message;
    this.name = "ApiError";
    this.status = statusOfCode[code];
  }

  body(): { code: ApiErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** What a console function's failure looks like: a thrown error, or Lambda's `{errorType, errorMessage}`. */
export interface FunctionFailure {
  errorType: string;
  errorMessage: string;
  /** StateMoveRefused's current state: absent when the item does not exist. */
  current?: string;
}

/**
 * The API error for a console function's failure. UsageError (bad input) is 400; an unknown id
 * (UnknownIdError from the handlers, ItemNotFound from the modules) is 404; a move the state does not
 * allow (MoveNotAllowedError, StateMoveRefused) is 409; anything else is 500 with a fixed message, since an unexpected error's text may hold anything.
 */
export function apiErrorOf(failure: FunctionFailure): ApiError {
  switch (failure.errorType) {
    case "UsageError":
    case "InvalidErasureRequest":
    case "SubjectIdError":
      return new ApiError("invalid_input", failure.errorMessage);
    case "ItemNotFound":
    case "UnknownIdError":
      return new ApiError("not_found", failure.errorMessage);
    case "MoveNotAllowedError":
      return new ApiError("state_conflict", failure.errorMessage);
    case "StateMoveRefused":
      return notFoundMessage(failure.errorMessage) && failure.current === undefined
        ? new ApiError("not_found", failure.errorMessage)
        : new ApiError("state_conflict", failure.errorMessage);
    default:
      return new ApiError(
        "internal_error",
        "the request failed inside Lethe; the operators have the details",
      );
  }
}

/** StateMoveRefused's message for a missing item (`<what> does not exist`): its not-found case. */
function notFoundMessage(message: string): boolean {
  return / does not exist$/.test(message);
}

/** A thrown error as a FunctionFailure (in-process calls). */
export function failureOf(err: unknown): FunctionFailure {
  const e = err as { name?: string; message?: string; current?: string };
  return {
    errorType: e?.name ?? "Error",
    errorMessage: e?.message ?? String(err),
    ...(e?.current !== undefined ? { current: e.current } : {}),
  };
}

/**
 * What a throttled call answers: the stage's gateway response deployed (infra/api/erasureApi.ts uses
 * this body), the local server's limiter locally.
 */
export const throttledBody = {
  code: "throttled",
  message: "too many requests: the API's rate or burst limit was reached; retry after a moment",
} as const satisfies { code: ApiErrorCode; message: string };
