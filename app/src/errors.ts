// Maps every error to the JSON error body { error: { code, message } } with a
// fitting status, so clients never see a framework-specific shape.

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly detail?: string };
}

export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;

  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.name = "HttpError";
    this.statusCode = statusCode;
    this.code = code;
  }
}

export function errorBody(code: string, message: string, detail?: string): ErrorBody {
  return detail === undefined ? { error: { code, message } } : { error: { code, message, detail } };
}

const FASTIFY_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: "invalid_json",
  FST_ERR_CTP_EMPTY_JSON_BODY: "empty_body",
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "invalid_content_length",
  FST_ERR_CTP_INVALID_TYPE: "unsupported_media_type",
};

function readStringProperty(value: unknown, key: string): string | undefined {
  if (typeof value !== "object" || value === null || !(key in value)) return undefined;
  const property: unknown = (value as Record<string, unknown>)[key];
  return typeof property === "string" ? property : undefined;
}

function readNumberProperty(value: unknown, key: string): number | undefined {
  if (typeof value !== "object" || value === null || !(key in value)) return undefined;
  const property: unknown = (value as Record<string, unknown>)[key];
  return typeof property === "number" ? property : undefined;
}

/** Seconds a client should wait before retrying a statement PostgreSQL cancelled or aborted (timeout, lock, conflict). */
export const RETRY_AFTER_BUSY_SECONDS = 1;
/** Seconds a client should wait before retrying while PostgreSQL cannot be reached or refuses new sessions. */
export const RETRY_AFTER_UNAVAILABLE_SECONDS = 5;

export interface DatabaseFailure {
  /** `database_busy`: the statement was cancelled or aborted; `database_unavailable`: no usable connection. */
  readonly code: "database_busy" | "database_unavailable";
  readonly message: string;
  /** Value of the `Retry-After` header, in seconds. */
  readonly retryAfterSeconds: number;
}

const BUSY: DatabaseFailure = {
  code: "database_busy",
  message: "the database is busy, retry later",
  retryAfterSeconds: RETRY_AFTER_BUSY_SECONDS,
};
const UNAVAILABLE: DatabaseFailure = {
  code: "database_unavailable",
  message: "the database is unavailable, retry later",
  retryAfterSeconds: RETRY_AFTER_UNAVAILABLE_SECONDS,
};

// The statement lost a race or ran out of time and wrote nothing: the same request can succeed
// a moment later.
const BUSY_SQLSTATES = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "55P03", // lock_not_available (lock_timeout)
  "57014", // query_canceled (statement_timeout, cancel request)
]);
// The server cannot serve this session right now. Classes 08 (connection exception),
// 28 (invalid authorization) and 53 (insufficient resources, e.g. 53300 too_many_connections)
// are matched by prefix.
const UNAVAILABLE_SQLSTATES = new Set([
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, in recovery)
  "57P05", // idle_session_timeout
  "25P03", // idle_in_transaction_session_timeout
]);
const UNAVAILABLE_SQLSTATE_CLASSES = ["08", "28", "53"];
// Socket errors raised while connecting to or talking to the server.
const UNAVAILABLE_NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "EAI_AGAIN"]);
// Errors of the pg client and pool that carry no code: no connection within
// connectionTimeoutMillis, a connection that ended or broke, or no reply within query_timeout
// (the client is then destroyed, so a retry gets another connection).
const UNAVAILABLE_MESSAGE = /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|not queryable/i;
const BUSY_MESSAGE = /^Query read timeout$/;

/**
 * Recognises database failures a client may retry: statements PostgreSQL cancelled or aborted
 * (busy) and connections that could not be made or were lost (unavailable). Returns undefined
 * for anything else, which is treated as a bug (500).
 */
export function classifyDatabaseError(error: unknown): DatabaseFailure | undefined {
  const code = readStringProperty(error, "code");
  if (code !== undefined) {
    if (BUSY_SQLSTATES.has(code)) return BUSY;
    if (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_NETWORK_CODES.has(code)) return UNAVAILABLE;
    if (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_SQLSTATE_CLASSES.includes(code.slice(0, 2))) return UNAVAILABLE;
  }
  const message = error instanceof Error ? error.message : "";
  if (BUSY_MESSAGE.test(message)) return BUSY;
  if (UNAVAILABLE_MESSAGE.test(message)) return UNAVAILABLE;
  return undefined;
}

export interface ClassifiedError {
  readonly statusCode: number;
  readonly body: ErrorBody;
  /** True for failures the client cannot fix (logged at error level). */
  readonly serverFault: boolean;
  /** Set for transient failures: the response carries `Retry-After` with this many seconds. */
  readonly retryAfterSeconds?: number;
}

/** Turns any thrown value into a status and body; `detailed` adds internals (development only). */
export function classifyError(error: unknown, detailed: boolean): ClassifiedError {
  if (error instanceof HttpError) {
    return { statusCode: error.statusCode, body: errorBody(error.code, error.message), serverFault: false };
  }
  const message = error instanceof Error ? error.message : String(error);
  const validation = typeof error === "object" && error !== null && "validation" in error;
  if (validation) {
    return { statusCode: 400, body: errorBody("validation_failed", message), serverFault: false };
  }
  const statusCode = readNumberProperty(error, "statusCode");
  const fastifyCode = readStringProperty(error, "code");
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    const code = (fastifyCode === undefined ? undefined : FASTIFY_CODES[fastifyCode]) ?? "bad_request";
    return { statusCode, body: errorBody(code, message), serverFault: false };
  }
  const databaseFailure = classifyDatabaseError(error);
  if (databaseFailure !== undefined) {
    return {
      statusCode: 503,
      body: errorBody(databaseFailure.code, databaseFailure.message, detailed ? message : undefined),
      serverFault: true,
      retryAfterSeconds: databaseFailure.retryAfterSeconds,
    };
  }
  return {
    statusCode: 500,
    body: errorBody("internal_error", "internal server error", detailed ? message : undefined),
    serverFault: true,
  };
}
