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
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
  }
}

export function errorBody(code: string, message: string, detail?: string): ErrorBody {
  return detail === undefined ? { error: { code, message } } : { error: { code, message, detail } };
}

const FASTIFY_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'empty_body',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
};

// Network failures, SQLSTATE class 08 (connection), 28 (authentication) and 57P0x
// (server shutting down) mean "database unusable right now", not a bug in this request.
const UNAVAILABLE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE']);

function readStringProperty(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null || !(key in value)) return undefined;
  const property: unknown = (value as Record<string, unknown>)[key];
  return typeof property === 'string' ? property : undefined;
}

function readNumberProperty(value: unknown, key: string): number | undefined {
  if (typeof value !== 'object' || value === null || !(key in value)) return undefined;
  const property: unknown = (value as Record<string, unknown>)[key];
  return typeof property === 'number' ? property : undefined;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  const code = readStringProperty(error, 'code');
  if (code !== undefined) {
    if (UNAVAILABLE_NETWORK_CODES.has(code)) return true;
    if (code.startsWith('08') || code.startsWith('28') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED/i.test(message);
}

export interface ClassifiedError {
  readonly statusCode: number;
  readonly body: ErrorBody;
  /** True for failures the client cannot fix (logged at error level). */
  readonly serverFault: boolean;
}

/** Turns any thrown value into a status and body; `detailed` adds internals (development only). */
export function classifyError(error: unknown, detailed: boolean): ClassifiedError {
  if (error instanceof HttpError) {
    return { statusCode: error.statusCode, body: errorBody(error.code, error.message), serverFault: false };
  }
  const message = error instanceof Error ? error.message : String(error);
  const validation = typeof error === 'object' && error !== null && 'validation' in error;
  if (validation) {
    return { statusCode: 400, body: errorBody('validation_failed', message), serverFault: false };
  }
  const statusCode = readNumberProperty(error, 'statusCode');
  const fastifyCode = readStringProperty(error, 'code');
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    const code = (fastifyCode === undefined ? undefined : FASTIFY_CODES[fastifyCode]) ?? 'bad_request';
    return { statusCode, body: errorBody(code, message), serverFault: false };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      statusCode: 503,
      body: errorBody('database_unavailable', 'the database is unavailable, retry later', detailed ? message : undefined),
      serverFault: true,
    };
  }
  return {
    statusCode: 500,
    body: errorBody('internal_error', 'internal server error', detailed ? message : undefined),
    serverFault: true,
  };
}
