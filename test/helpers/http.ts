import { WebSocket } from 'ws';
import { createClient, type FormattedExecutionResult } from 'graphql-ws';
import type { TestApp } from './app';

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

async function read(res: Response): Promise<RawResponse> {
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A POST to /graphql with full control over body and headers (no defaults but what is given). */
export async function rawPost(app: TestApp, body: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return read(await fetch(`${app.url}/graphql`, { method: 'POST', headers, body }));
}

/** A GET to any path of the server, e.g. `/graphql?query=...`. */
export async function rawGet(app: TestApp, pathAndQuery: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return read(await fetch(`${app.url}${pathAndQuery}`, { method: 'GET', headers }));
}

/** A JSON GraphQL POST carrying extra headers (e.g. x-request-id). */
export async function postGql(app: TestApp, query: string, variables: Record<string, unknown> = {}, key: string | null = app.adminKey, headers: Record<string, string> = {}): Promise<RawResponse> {
  const all: Record<string, string> = { 'content-type': 'application/json', ...headers };
  if (key) all.authorization = `Bearer ${key}`;
  return rawPost(app, JSON.stringify({ query, variables }), all);
}

/**
 * Runs one operation over graphql-ws on the same /graphql path and resolves with its first result,
 * or rejects with what the server sent instead (error messages, or the close event).
 */
export function wsRequest(app: TestApp, query: string, variables: Record<string, unknown> = {}, key: string | null = app.adminKey): Promise<FormattedExecutionResult<any, any>> {
  const client = createClient({
    url: `${app.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
  return new Promise<FormattedExecutionResult<any, any>>((resolve, reject) => {
    let result: FormattedExecutionResult<any, any> | undefined;
    const unsubscribe = client.subscribe({ query, variables }, {
      next: (value) => {
        result ??= value;
      },
      error: (err) => reject(err),
      complete: () => (result ? resolve(result) : reject(new Error('completed without a result'))),
    });
    void unsubscribe;
  }).finally(() => client.dispose());
}
