import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';

/** The one registry of error codes clients see in `extensions.code` (README lists them). */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INVALID_TRANSITION: 'INVALID_TRANSITION',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  RATE_LIMITED: 'RATE_LIMITED',
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
  // Apollo's codes for requests that never reach a resolver
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  BAD_REQUEST: 'BAD_REQUEST',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const known = new Set<string>(Object.values(ErrorCode));

/** Codes other layers emit, and the registry code they mean. */
const aliases: Record<string, ErrorCode> = {
  UNAUTHORIZED: ErrorCode.FORBIDDEN, // type-graphql's @Authorized
  INTERNAL_SERVER_ERROR: ErrorCode.INTERNAL,
  PERSISTED_QUERY_NOT_FOUND: ErrorCode.BAD_REQUEST,
  PERSISTED_QUERY_NOT_SUPPORTED: ErrorCode.BAD_REQUEST,
  OPERATION_RESOLUTION_FAILURE: ErrorCode.BAD_REQUEST,
};

export interface ErrorDetails {
  /** The input field at fault, e.g. `input.parentId`. */
  field?: string;
  /** JSON path of an import fault. */
  path?: string;
  /** Line of an import fault. */
  line?: number;
  [key: string]: unknown;
}

/** An error the client caused or may act on; anything else is INTERNAL. */
export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, { extensions: { ...details, code } });
  }
}

export const notFound = (type: string) => new AppError(ErrorCode.NOT_FOUND, `${type} not found`);
export const badInput = (message: string, field?: string, details: ErrorDetails = {}) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, field ? { ...details, field } : details);
export const forbidden = (message = 'Not allowed for this API key') => new AppError(ErrorCode.FORBIDDEN, message);
export const unauthenticated = (message = 'A valid API key is required') =>
  new AppError(ErrorCode.UNAUTHENTICATED, message, { http: { status: 401 } });
export const conflict = (message: string) => new AppError(ErrorCode.CONFLICT, message);
export const invalidTransition = (message: string) => new AppError(ErrorCode.INVALID_TRANSITION, message);

/** Seconds a client is told to wait before retrying while the database is unreachable. */
const UNAVAILABLE_RETRY_SECONDS = 2;
export const UNAVAILABLE_MESSAGE = 'The database is unavailable; retry shortly';

/** What a client sees of an unreachable database; `http` gives the HTTP answer its 503 and Retry-After. */
function unavailableExtensions(): ErrorDetails {
  return {
    code: ErrorCode.UNAVAILABLE,
    retryable: true,
    retryAfterSeconds: UNAVAILABLE_RETRY_SECONDS,
    http: { status: 503, headers: new Map([['retry-after', String(UNAVAILABLE_RETRY_SECONDS)]]) },
  };
}

export const unavailable = () => new AppError(ErrorCode.UNAVAILABLE, UNAVAILABLE_MESSAGE, unavailableExtensions());

/** The error as a client sees it (the `http` instructions are for the server, not the body). */
function unavailableFormatted(path?: GraphQLFormattedError['path']): GraphQLFormattedError {
  const { http: _http, ...extensions } = unavailableExtensions();
  return { message: UNAVAILABLE_MESSAGE, path, extensions };
}

/** The HTTP side of the answer: for plain routes (exports, feeds) and for GraphQL responses Apollo did not mark. */
export function unavailableHttpAnswer(): { status: number; retryAfter: string; body: { errors: GraphQLFormattedError[] } } {
  return { status: 503, retryAfter: String(UNAVAILABLE_RETRY_SECONDS), body: { errors: [unavailableFormatted()] } };
}

// SQLSTATE class 08 (connection exception), 57P01-57P03 (shut down, crashed, not yet accepting
// connections) and 53300 (too many connections): the statement never ran or its session is gone.
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// pg and pg-pool raise these without a code
const UNAVAILABLE_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable)/;

/**
 * True when an error (or an error it wraps: GraphQL's originalError, TypeORM's driverError, a
 * cause) says the database could not be reached or dropped the connection, rather than that a
 * statement failed. The network codes count because the database is the only peer a request
 * connects to (webhooks are delivered by the scheduler, outside requests).
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { code?: unknown; message?: unknown; extensions?: { code?: unknown }; originalError?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown };
  if (e.extensions?.code === ErrorCode.UNAVAILABLE) return true;
  // TypeORM releases a transaction's runner when its connection dies between two statements; the
  // next statement then fails with these (their stack still goes to the log)
  if (err instanceof QueryRunnerAlreadyReleasedError || err instanceof QueryRunnerProviderAlreadyReleasedError) return true;
  if (typeof e.code === 'string' && (UNAVAILABLE_SQLSTATE.test(e.code) || UNAVAILABLE_ERRNO.has(e.code))) return true;
  // messages only of driver errors: a GraphQL error's message may quote user input
  if (!(err instanceof GraphQLError) && typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
  const inner = [e.originalError, e.driverError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  return inner.some((i) => i !== err && isDatabaseUnavailable(i, depth + 1));
}

/**
 * Marks a database error that means "unreachable" with UNAVAILABLE's extensions, in place: the
 * error keeps its cause for the log, and GraphQL (which copies an original error's `extensions`)
 * and Apollo (which turns `extensions.http` into the status and headers) answer 503 with it,
 * whether it is raised in a resolver or while building the request context.
 */
export function markIfUnavailable<T>(err: T): T {
  if (err && typeof err === 'object' && isDatabaseUnavailable(err)) {
    Object.defineProperty(err, 'extensions', { value: unavailableExtensions(), enumerable: true, configurable: true, writable: true });
  }
  return err;
}

/** Marker the query limit rules leave on their errors, since Apollo re-codes validation errors. */
export const LIMIT_MARKER = 'limit';

/**
 * Maps every outgoing error onto the registry. Errors without a known code are replaced by a bare
 * INTERNAL (their detail goes to the log, never to the client).
 */
export function toClientError(
  formatted: GraphQLFormattedError,
  original: unknown,
  onInternal: (err: unknown) => void,
  onUnavailable: (err: unknown) => void = onInternal,
): GraphQLFormattedError {
  // before anything else: a lost connection surfaces under many codes and messages (with the
  // database's address in them), and every one of them is the same retryable answer
  if (isDatabaseUnavailable(original)) {
    onUnavailable(original);
    return unavailableFormatted(formatted.path);
  }
  const extensions = { ...(formatted.extensions ?? {}) } as Record<string, unknown>;
  delete extensions.stacktrace;
  delete extensions.exception;
  delete extensions.http;
  let code = String(extensions.code ?? '');
  if (extensions[LIMIT_MARKER]) code = ErrorCode.QUERY_TOO_COMPLEX;
  code = aliases[code] ?? code;
  // graphql-js itself raises argument coercion faults during execution (e.g. a null variable for a
  // non-null input field): a GraphQLError that wraps nothing is the client's input, not our fault.
  const cause = original instanceof GraphQLError && original.originalError ? original.originalError : original;
  if (code === ErrorCode.INTERNAL && cause instanceof GraphQLError && !cause.originalError && cause.extensions.code === undefined) {
    return { message: cause.message, path: formatted.path, extensions: { code: ErrorCode.BAD_USER_INPUT } };
  }
  if (!known.has(code) || code === ErrorCode.INTERNAL) {
    onInternal(original);
    return { message: 'Internal server error', path: formatted.path, extensions: { code: ErrorCode.INTERNAL } };
  }
  // class-validator failures: name the first offending field
  const validation = (extensions.validationErrors as Array<{ property: string; constraints?: Record<string, string>; children?: unknown[] }> | undefined);
  if (validation?.length) {
    const first = firstValidationFailure(validation);
    extensions.field = first.field;
    extensions.validationErrors = undefined;
    return { message: `Invalid value for ${first.field}: ${first.message}`, path: formatted.path, extensions: { ...extensions, code } };
  }
  return { ...formatted, extensions: { ...extensions, code } };
}

interface ValidationFailure { property: string; constraints?: Record<string, string>; children?: unknown[] }

function firstValidationFailure(errors: ValidationFailure[], prefix = ''): { field: string; message: string } {
  const error = errors[0];
  const field = prefix ? `${prefix}.${error.property}` : error.property;
  if (error.constraints) return { field, message: Object.values(error.constraints)[0] };
  const children = (error.children ?? []) as ValidationFailure[];
  return children.length ? firstValidationFailure(children, field) : { field, message: 'invalid' };
}
