import { randomUUID } from 'node:crypto';
import http from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDisableSuggestions } from '@apollo/server/plugin/disableSuggestions';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, NoSchemaIntrospectionCustomRule, getOperationAST, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import type { DataSource } from 'typeorm';
import type { Config } from './config';
import type { Logger } from './common/logger';
import { ErrorCode, isDatabaseUnavailable, toClientError, UNAVAILABLE_MESSAGE, unavailable, unavailableHttpAnswer } from './common/errors';
import { costError, documentError, limitRules, validationBudgetError } from './common/limits';
import { bodyErrors, bodyTooLarge, clientErrors, errorBody, replyIfUnavailable, utf8Only } from './common/http-input';
import { createContext, type Context } from './context';
import { authenticate } from './auth/api-key.service';
import { guardRequest } from './auth/request-guard';
import type { Principal } from './auth/principal';
import { sqlStats } from './db/sql-stats';
import { soaExportRouter } from './modules/soa/soa.export';
import { calendarRouter } from './modules/reminder/reminder.calendar';
import { createEventBus, KEY_REVOKED_CHANNEL, type EventBus } from './db/event-bus';

export interface RunningServer {
  httpServer: http.Server;
  url: string;
  /** This instance's LISTEN/NOTIFY bus: every instance hears every committed change. */
  bus: EventBus;
  stop(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

declare module 'express-serve-static-core' {
  interface Request {
    requestId: string;
    log: Logger;
  }
}

function requestIds(log: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header('x-request-id');
    req.requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.log = log.child({ requestId: req.requestId });
    res.setHeader('x-request-id', req.requestId);
    const started = process.hrtime.bigint();
    const stats = { statements: 0, log: req.log };
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      req.log.info({ method: req.method, path: req.originalUrl.split('?')[0], status: res.statusCode, ms: Math.round(ms * 10) / 10, sql: stats.statements }, 'request');
    });
    sqlStats.run(stats, next);
  };
}

/** The cost limit needs the variables (`first: $n`), so it runs once the operation is resolved. */
function costLimit(config: Config, schema: GraphQLSchema): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request }) {
          const error = operation ? costError(schema, document, operation, request.variables, config.maxCost) : null;
          if (error) throw new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: 400 } } });
        },
      };
    },
  };
}

function responseHeaders(config: Config): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        // a connection that died inside a transaction surfaces without the 503 the pool's own
        // failures carry: the same retryable answer either way
        async didEncounterErrors({ errors, response }) {
          if (!errors.some((e) => isDatabaseUnavailable(e))) return;
          const answer = unavailableHttpAnswer();
          response.http.status = answer.status;
          response.http.headers.set('retry-after', answer.retryAfter);
        },
        async willSendResponse({ response }) {
          const stats = sqlStats.getStore();
          if (config.exposeSqlCount && stats) response.http.headers.set('x-sql-statements', String(stats.statements));
        },
      };
    },
  };
}

export async function startServer(options: { config: Config; db: DataSource; schema: GraphQLSchema; log: Logger }): Promise<RunningServer> {
  const { config, db, schema, log } = options;
  const production = config.nodeEnv === 'production';
  const rules: ValidationRule[] = [...limitRules(config), ...(production ? [NoSchemaIntrospectionCustomRule] : [])];
  const app = express();
  app.disable('x-powered-by');
  // A client that sends its headers or body slowly holds a connection, not the process: it gets
  // 408 and a closed connection after these timeouts (checked every second, not Node's 30 s).
  const httpServer = http.createServer(
    { headersTimeout: config.httpHeadersTimeoutMs, requestTimeout: config.httpRequestTimeoutMs, connectionsCheckingInterval: 1000 },
    app,
  );
  httpServer.on('clientError', clientErrors(log));

  // graphql-ws bypasses Apollo's formatError: its results and errors go through the same registry
  // mapping here, so a code means the same on both paths and nothing internal leaks.
  const clientError = (error: GraphQLError, requestLog: Logger = log) =>
    toClientError(error.toJSON(), error.originalError ?? error, (original) => requestLog.error({ err: original }, 'internal error'));

  // noServer: the HTTP server's own errors (a port in use) stay with it instead of reaching graphql-ws
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: config.bodyLimitBytes });
  httpServer.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== '/graphql') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wsServer.handleUpgrade(req, socket, head, (ws) => {
      wsServer.emit('connection', ws, req);
      // A client's protocol fault (invalid UTF-8, a message over BODY_LIMIT) is closed by ws with
      // 1007/1009 and emitted as an error: graphql-ws would print it to stderr as an internal
      // error with a stack. Only real socket errors are logged as errors.
      ws.removeAllListeners('error');
      ws.on('error', (err: Error & { code?: string }) => {
        if (err.code?.startsWith('WS_ERR_')) return log.debug({ code: err.code }, 'websocket protocol error from client');
        log.error({ err }, 'websocket error');
        ws.close(1011, 'Internal server error');
      });
    });
  });
  // Every instance hears every event (LISTEN/NOTIFY); subscriptions read them from this bus.
  const bus = createEventBus((db.options as { url: string }).url, log);
  // Sockets by key, so a revoked or expired key's sockets can be closed.
  const sockets = new Map<WebSocket, Principal>();
  const closeWhere = (match: (principal: Principal) => boolean, reason: string) => {
    for (const [ws, principal] of sockets) {
      if (match(principal)) {
        sockets.delete(ws);
        ws.close(4403, reason);
      }
    }
  };
  void (async () => {
    for await (const { keyId } of bus.subscribe(KEY_REVOKED_CHANNEL)) closeWhere((p) => p.keyId === keyId, 'API key revoked');
  })();
  const expiryCheck = setInterval(() => closeWhere((p) => p.expiresAt !== null && p.expiresAt.getTime() <= Date.now(), 'API key expired'), 15_000);
  expiryCheck.unref();

  const wsCleanup = useServer<Record<string, unknown>, { principal?: Principal | null }>(
    {
      schema,
      onConnect: async (socket) => {
        const header = socket.connectionParams?.authorization;
        try {
          socket.extra.principal = await authenticate(db, typeof header === 'string' ? header : undefined, config.allowAnonymousRead);
        } catch (err) {
          // not the key's fault: 1013 "try again later" instead of the 4403 a bad key gets
          if (isDatabaseUnavailable(err)) socket.extra.socket.close(1013, UNAVAILABLE_MESSAGE);
          return false;
        }
        if (!socket.extra.principal) return false;
        sockets.set(socket.extra.socket, socket.extra.principal);
        socket.extra.socket.once('close', () => sockets.delete(socket.extra.socket));
        return true;
      },
      onSubscribe: async (socket, _id, payload) => {
        // the rate limit and the allow-list apply per operation, as on HTTP
        try {
          await guardRequest(db, config, socket.extra.principal ?? null, payload.query, false);
        } catch (err) {
          if (err instanceof GraphQLError) return [err];
          if (isDatabaseUnavailable(err)) return [unavailable()];
          throw err;
        }
        const tooBig = documentError(payload.query, config.maxTokens);
        if (tooBig) return [tooBig];
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (err) {
          return [new GraphQLError((err as Error).message, { extensions: { code: ErrorCode.GRAPHQL_PARSE_FAILED } })];
        }
        const errors = validate(schema, document, [...specifiedRules, ...rules]);
        if (errors.length) {
          return errors.map((e) => validationBudgetError(e) ?? (e.extensions.code ? e : new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: ErrorCode.GRAPHQL_VALIDATION_FAILED } })));
        }
        const operation = getOperationAST(document, payload.operationName ?? undefined);
        const tooCostly = operation && costError(schema, document, operation, payload.variables, config.maxCost);
        if (tooCostly) return [tooCostly];
        const requestId = randomUUID();
        return {
          schema,
          document,
          variableValues: payload.variables ?? undefined,
          operationName: payload.operationName ?? undefined,
          contextValue: createContext({ requestId, log: log.child({ requestId }), db, config, principal: socket.extra.principal ?? null, bus }),
        };
      },
      onNext: (_socket, _id, _payload, args, result) => {
        if (!result.errors?.length) return undefined;
        const requestLog = (args.contextValue as Context | undefined)?.log;
        return { ...result, errors: result.errors.map((e) => clientError(e, requestLog)) };
      },
      onError: (_socket, _id, _payload, errors) => errors.map((e) => clientError(e)),
    },
    wsServer,
  );

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: !production,
    hideSchemaDetailsFromClientErrors: production,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    validationRules: rules,
    persistedQueries: false,
    stopOnTerminationSignals: false, // main.ts owns the shutdown order: server, then pool, then database
    formatError: (formatted, error) => toClientError(validationBudgetError(formatted)?.toJSON() ?? formatted, error, (original) => (sqlStats.getStore()?.log ?? log).error({ err: original }, 'internal error'),
      (original) => (sqlStats.getStore()?.log ?? log).warn({ err: original }, 'database unavailable')),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownTimeoutMs }),
      // No HTTP caching of GraphQL answers, and so no per-field cache-hint bookkeeping either.
      ApolloServerPluginCacheControlDisabled(),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
      costLimit(config, schema),
      responseHeaders(config),
      ...(production ? [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginDisableSuggestions()] : []),
    ],
  });
  await apollo.start();

  app.use(requestIds(log));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await db.query('SELECT 1');
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'database unreachable' });
    }
  });
  app.use(
    '/graphql',
    bodyTooLarge(config.bodyLimitBytes),
    express.json({ limit: config.bodyLimitBytes, verify: utf8Only }),
    bodyErrors(config.bodyLimitBytes),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        // the query text as sent: the allow-list matches its exact bytes
        const query = req.method === 'GET' ? req.query.query : (req.body as { query?: unknown } | undefined)?.query;
        try {
          // before anything else, and before Apollo parses it: a refusal costs no SQL
          const tooBig = documentError(query, config.maxTokens);
          if (tooBig) throw tooBig;
          const principal = await authenticate(db, req.header('authorization'), config.allowAnonymousRead);
          await guardRequest(db, config, principal, query, true);
          return createContext({ requestId: req.requestId, log: req.log, db, config, principal });
        } catch (err) {
          // a refused request never reaches the plugins that set this header
          const stats = sqlStats.getStore();
          if (config.exposeSqlCount && stats) res.setHeader('x-sql-statements', String(stats.statements));
          throw err;
        }
      },
    }),
  );
  app.use(soaExportRouter({ db, config }));
  app.use(calendarRouter({ db }));
  app.use((_req: Request, res: Response) => {
    res.status(404).json(errorBody('Not found', ErrorCode.NOT_FOUND));
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (replyIfUnavailable(req, res, err)) return;
    req.log.error({ err }, 'unhandled error');
    res.status(500).json(errorBody('Internal server error', ErrorCode.INTERNAL));
  });

  // a port in use must fail the start, not leave it waiting forever
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, () => {
      httpServer.off('error', reject);
      resolve();
    });
  }).catch(async (err: unknown) => {
    await apollo.stop().catch(() => undefined);
    clearInterval(expiryCheck);
    await bus.stop();
    throw err;
  });
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  let stopping: Promise<void> | undefined;
  return {
    httpServer,
    url: `http://127.0.0.1:${port}`,
    bus,
    stop: () => {
      // In-flight requests finish (Apollo's drain), then sockets close; the caller ends the pool.
      stopping ??= apollo.stop().finally(async () => {
        clearInterval(expiryCheck);
        await bus.stop();
      });
      return stopping;
    },
  };
}
