import http from 'node:http';
import https from 'node:https';
import { guardedLookup, literalHostRefusal } from './url-check';

export interface AttemptResult {
  ok: boolean;
  /** HTTP status, or null when no response came. */
  statusCode: number | null;
  /** Short reason of a failure for the delivery log: never a stack, host internals or the response body. */
  error: string | null;
}

// Kept-alive connections per scheme and address policy: a pooled socket was opened under the
// policy of its agent, so a stricter policy never reuses a connection a laxer one opened.
const agents = new Map<string, http.Agent>();
function agentFor(protocol: string, allowPrivate: boolean): http.Agent {
  const key = `${protocol}${allowPrivate}`;
  let agent = agents.get(key);
  if (!agent) {
    const options = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16 };
    agent = protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
    agents.set(key, agent);
  }
  return agent;
}

function describe(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EWEBHOOKPRIVATE': return 'address not allowed';
    case 'ECONNREFUSED': return 'connection refused';
    case 'ECONNRESET': case 'EPIPE': return 'connection reset';
    case 'ENOTFOUND': case 'EAI_AGAIN': case 'EAI_FAIL': case 'EAI_NONAME': return 'host could not be resolved';
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'host unreachable';
    case 'ETIMEDOUT': return 'connection timed out';
    default:
      if (err.code?.startsWith('ERR_TLS') || err.code?.includes('CERT') || err.code === 'EPROTO') return 'TLS handshake failed';
      return 'request failed';
  }
}

/**
 * POSTs one delivery. 2xx is success; anything else (redirects are not followed), a refused
 * address, a network error or no answer within `timeoutMs` is a failure. The response body is
 * read and discarded.
 */
export function postWebhook(url: URL, headers: Record<string, string>, body: string, options: { allowPrivate: boolean; timeoutMs: number }): Promise<AttemptResult> {
  const refusal = literalHostRefusal(url, options.allowPrivate);
  if (refusal) return Promise.resolve({ ok: false, statusCode: null, error: refusal });
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const settle = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, {
      method: 'POST',
      agent: agentFor(url.protocol, options.allowPrivate),
      lookup: guardedLookup(options.allowPrivate),
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'isms-graph-webhooks/1' },
    }, (res) => {
      const status = res.statusCode ?? 0;
      settle(status >= 200 && status < 300 ? { ok: true, statusCode: status, error: null } : { ok: false, statusCode: status, error: `HTTP ${status}` });
      res.on('end', () => clearTimeout(timer));
      res.on('error', () => clearTimeout(timer));
      res.resume();
    });
    // one deadline for connecting, sending and the whole answer: a body that never ends is cut off
    const timer = setTimeout(() => {
      settle({ ok: false, statusCode: null, error: `timed out after ${Math.round(options.timeoutMs / 100) / 10} s` });
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      settle({ ok: false, statusCode: null, error: describe(err) });
    });
    req.end(body);
  });
}
