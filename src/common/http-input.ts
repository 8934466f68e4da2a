import { isUtf8 } from 'node:buffer';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from './logger';
import { ErrorCode, isDatabaseUnavailable, unavailableHttpAnswer } from './errors';

/**
 * What the HTTP layer answers outside GraphQL, in GraphQL's response shape: bodies too large, not
 * UTF-8 or not JSON, and requests Node's parser rejects (BAD_REQUEST); an unreachable database on
 * plain routes (UNAVAILABLE).
 */

/** One error in GraphQL's response shape, for answers given outside GraphQL. */
export const errorBody = (message: string, code: ErrorCode) => ({ errors: [{ message, extensions: { code } }] });

const tooLarge = (limit: number) => `Request body is larger than the server accepts (BODY_LIMIT, ${limit} bytes)`;

/**
 * A body larger than the limit is refused at once: before a byte of it is read when its length is
 * declared, as soon as the limit is passed when it is chunked. body-parser alone answers only once
 * the client has sent all of it. The rest is read off and dropped, never buffered (and a client
 * that never stops is cut off by HTTP_REQUEST_TIMEOUT_MS).
 */
export function bodyTooLarge(limit: number) {
  return (req: Request, res: Response, next: NextFunction) => {
    const refuse = () => {
      if (!res.headersSent) res.status(413).json(errorBody(tooLarge(limit), ErrorCode.BAD_REQUEST));
    };
    if (Number(req.headers['content-length']) > limit) return refuse();
    if (req.headers['transfer-encoding'] === undefined) return next();
    // counted alongside body-parser, whose listener joins in the same tick (no chunk is missed)
    let received = 0;
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= limit) return;
      req.off('data', count);
      refuse();
    };
    req.on('data', count);
    next();
  };
}

/** Requests Node's HTTP parser refuses (malformed, headers too large, too slow) in GraphQL's response shape too. */
export function clientErrors(log: Logger) {
  return (err: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
      const [status, message] =
        err.code === 'HPE_HEADER_OVERFLOW' ? ['431 Request Header Fields Too Large', 'Request headers are larger than the server accepts']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? ['408 Request Timeout', 'Request was not received in time']
        : ['400 Bad Request', 'Malformed HTTP request'];
      const body = JSON.stringify(errorBody(message, ErrorCode.BAD_REQUEST));
      socket.write(`HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    }
    log.debug({ code: err.code }, 'client error');
    socket.destroy();
  };
}

/** JSON is UTF-8: invalid bytes would otherwise be replaced by U+FFFD and stored as such. */
export function utf8Only(req: Request, _res: Response, buf: Buffer) {
  const charset = /;\s*charset=([^;]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.trim().replace(/"/g, '').toLowerCase();
  if ((charset === undefined || charset === 'utf-8' || charset === 'utf8') && !isUtf8(buf)) {
    throw Object.assign(new Error('invalid UTF-8'), { status: 400, type: 'entity.invalid.utf8' });
  }
}

const BODY_MESSAGES: Record<string, string> = {
  'entity.invalid.utf8': 'Request body is not valid UTF-8',
  'charset.unsupported': 'Request body charset is not supported: send JSON in UTF-8',
  'encoding.unsupported': 'Request body content-encoding is not supported',
  'request.aborted': 'Request body was not received in full',
};

/** Errors raised before GraphQL runs (body too large, broken JSON, bad UTF-8) in GraphQL's response shape. */
export function bodyErrors(limit: number) {
  return (err: { type?: string; status?: number; message?: string }, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return undefined; // bodyTooLarge answered already
    if (!err || typeof err.status !== 'number' || err.status >= 500) return next(err);
    const message = err.type === 'entity.too.large' ? tooLarge(limit) : (BODY_MESSAGES[err.type ?? ''] ?? 'Request body is not valid JSON');
    res.status(err.status).json(errorBody(message, ErrorCode.BAD_REQUEST));
  };
}

/** Plain HTTP routes (exports, feeds) answer an unreachable database as GraphQL does: 503, Retry-After, UNAVAILABLE. */
export function replyIfUnavailable(req: Request, res: Response, err: unknown): boolean {
  if (!isDatabaseUnavailable(err)) return false;
  req.log.warn({ err }, 'database unavailable');
  const answer = unavailableHttpAnswer();
  res.status(answer.status).setHeader('Retry-After', answer.retryAfter).json(answer.body);
  return true;
}
