// Typed API errors, built once by the REST layer from the API server's Status (as kopf's errors.py and
// apimachinery's k8s.io/apimachinery/pkg/api/errors do), so callers ask `instanceof NotFound` instead of
// comparing status codes by hand. Each carries the HTTP status as `code` and the original as `cause`.

export interface ApiErrorOptions {
  /** The Status reason (`NotFound`, `AlreadyExists`, `Invalid`, ...), when the server sent one. */
  reason?: string;
  /** Seconds the server asked us to wait (Retry-After), for 429 and some 5xx answers. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** Any error answer of the API server. Subclasses name the ones callers act on. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly code: number;
  readonly reason?: string;
  readonly retryAfterSeconds?: number;
  constructor(message: string, code: number, options: ApiErrorOptions = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    if (options.reason) this.reason = options.reason;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
  /** client-node's spelling of `code`. */
  get statusCode(): number {
    return this.code;
  }
}

/** 400: the request itself is malformed (a bad patch, an unknown field under strict validation). */
export class BadRequest extends ApiError {
  override name = "BadRequest";
}
/** 401: the credentials were refused. */
export class Unauthorized extends ApiError {
  override name = "Unauthorized";
}
/** 403: RBAC denies the verb. */
export class Forbidden extends ApiError {
  override name = "Forbidden";
}
/** 404: the object (or its kind) does not exist. */
export class NotFound extends ApiError {
  override name = "NotFound";
}
/** 409: a resourceVersion conflict, or AlreadyExists on create (see `reason`). */
export class Conflict extends ApiError {
  override name = "Conflict";
  get alreadyExists(): boolean {
    return this.reason === "AlreadyExists";
  }
}
/** 410: the resourceVersion is too old (an expired watch or list continuation). */
export class Gone extends ApiError {
  override name = "Gone";
}
/** 422: the object fails the API server's validation; sending it again cannot succeed. */
export class Invalid extends ApiError {
  override name = "Invalid";
}
/** 429: throttled (API Priority and Fairness); retry after `retryAfterSeconds`. */
export class TooManyRequests extends ApiError {
  override name = "TooManyRequests";
}
/** 5xx: the server failed; temporary. */
export class ServerError extends ApiError {
  override name = "ServerError";
}

const BY_CODE: Record<number, new (m: string, c: number, o?: ApiErrorOptions) => ApiError> = {
  400: BadRequest,
  401: Unauthorized,
  403: Forbidden,
  404: NotFound,
  409: Conflict,
  410: Gone,
  422: Invalid,
  429: TooManyRequests,
};

/** The typed error for an HTTP status. */
export function apiError(message: string, code: number, options: ApiErrorOptions = {}): ApiError {
  const Type = BY_CODE[code] ?? (code >= 500 ? ServerError : ApiError);
  return new Type(message, code, options);
}

/**
 * An error that retrying cannot fix until something else changes (the object, RBAC): the work queue
 * records it and does not retry it with backoff. The API server's 422 Invalid is one; an error the caller
 * knows to be permanent can be wrapped in it.
 */
export class TerminalError extends Error {
  override name = "TerminalError";
}

export function isTerminal(err: unknown): boolean {
  return (
    err instanceof TerminalError ||
    err instanceof Invalid ||
    err instanceof BadRequest ||
    isNamespaceTerminating(err)
  );
}

/**
 * 403 with the cause NamespaceTerminating: the namespace is being deleted, so nothing new may be created
 * in it (apimachinery's `HasStatusCause(err, NamespaceTerminatingCause)`). Retrying cannot succeed, and
 * what the write was for goes with the namespace.
 */
export function isNamespaceTerminating(err: unknown): boolean {
  if (!(err instanceof Forbidden)) return false;
  const causes = (err.cause as { details?: { causes?: { reason?: string }[] } } | undefined)?.details?.causes;
  return causes?.some((c) => c.reason === "NamespaceTerminating") ?? false;
}
