/** The part of autocannon 9's API the load test uses (the package ships no types; @types/autocannon is not a dependency). */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      /** Called before every send of this request; returns the request to send. */
      setupRequest?: (req: Request, context: Record<string, unknown>) => Request;
      /** Called with each response to this request, before the instance's 'response' event. */
      onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
    }
    /** One connection. */
    interface Client extends EventEmitter {
      opts: { hostname: string; port: string | number };
      /** Requests sent so far on this connection. */
      reqsMade: number;
      /** The connection stops once `reqsMade` reaches this (0 or undefined: no limit). */
      responseMax?: number;
      destroyed: boolean;
    }
    interface Options {
      url: string | string[];
      connections?: number;
      duration?: number;
      timeout?: number;
      pipelining?: number;
      headers?: Record<string, string>;
      requests?: Request[];
      setupClient?: (client: Client) => void;
    }
    interface Result {
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      totalCompletedRequests: number;
      totalRequests: number;
      statusCodeStats: Record<string, { count: number }>;
    }
    interface Instance extends EventEmitter, PromiseLike<Result> {
      stop(): void;
    }
  }
  function autocannon(options: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
