import { GraphQLError, type GraphQLFormattedError } from 'graphql';

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

/** Marker the query limit rules leave on their errors, since Apollo re-codes validation errors. */
export const LIMIT_MARKER = 'limit';

/**
 * Maps every outgoing error onto the registry. Errors without a known code are replaced by a bare
 * INTERNAL (their detail goes to the log, never to the client).
 */
export function toClientError(formatted: GraphQLFormattedError, original: unknown, onInternal: (err: unknown) => void): GraphQLFormattedError {
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
