import { Router, type NextFunction, type Request, type Response } from 'express';
import type { DataSource } from 'typeorm';
import type { Config } from '../../config';
import { createContext, type Context } from '../../context';
import { AppError, ErrorCode, badInput, forbidden, unauthenticated } from '../../common/errors';
import { errorBody, replyIfUnavailable } from '../../common/http-input';
import { authenticate } from '../../auth/api-key.service';
import { grants, Permission } from '../../auth/permissions';
import { toCsv } from '../../catalogs/importers/csv';
import { soaService } from './soa.service';
import type { SoaRow, StatementOfApplicability } from './soa.types';

/** The columns an auditor expects, in order; the CSV header and the JSON rows use them. */
export const SOA_COLUMNS = [
  'framework', 'code', 'title', 'applicability', 'justification', 'drivers',
  'implementing_controls', 'implementation_status', 'evidence_freshness', 'coverage_status',
] as const;

const LIST_SEPARATOR = '; ';

function csvValues(row: SoaRow): string[] {
  return [
    row.frameworkKey, row.code, row.title, row.applicability, row.justification ?? '', row.drivers.join(LIST_SEPARATOR),
    row.controlCodes.join(LIST_SEPARATOR), row.implementationStatus, row.evidenceFreshness, row.coverageStatus,
  ];
}

/** RFC 4180 CSV with a header line and CRLF line ends. */
export function soaCsv(statement: StatementOfApplicability): string {
  return toCsv([[...SOA_COLUMNS], ...statement.rows.map(csvValues)]);
}

/** The statement as a JSON document: who and when for a version, the rows with the CSV's columns (lists as arrays). */
export async function soaJson(ctx: Context, statement: StatementOfApplicability): Promise<Record<string, unknown>> {
  const approver = statement.approverId ? await ctx.loaders.owner.load(statement.approverId) : null;
  return {
    scope: { id: statement.scope.id, key: statement.scope.key, name: statement.scope.name },
    version: statement.version,
    approvedAt: statement.approvedAt?.toISOString() ?? null,
    approver: approver ? { id: approver.id, name: approver.name } : null,
    // a version reads the same every time; the current state says when it was computed
    ...(statement.version === null ? { generatedAt: new Date().toISOString() } : {}),
    columns: [...SOA_COLUMNS],
    rows: statement.rows.map((r) => ({
      framework: r.frameworkKey,
      frameworkVersion: r.frameworkVersion,
      requirementId: r.requirementId,
      code: r.code,
      title: r.title,
      applicability: r.applicability,
      justification: r.justification,
      drivers: r.drivers,
      implementingControls: r.controlCodes,
      implementationStatus: r.implementationStatus,
      evidenceFreshness: r.evidenceFreshness,
      coverageStatus: r.coverageStatus,
    })),
  };
}

const STATUS: Partial<Record<string, number>> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.RATE_LIMITED]: 429,
};

/** Errors in the GraphQL response shape with the registry's codes; anything unknown is a logged INTERNAL. */
function sendError(req: Request, res: Response, err: unknown): void {
  if (replyIfUnavailable(req, res, err)) return;
  const code = err instanceof AppError ? String(err.extensions.code) : '';
  const status = STATUS[code];
  if (!status) {
    req.log.error({ err }, 'internal error');
    res.status(500).json(errorBody('Internal server error', ErrorCode.INTERNAL));
    return;
  }
  const { http: _http, ...extensions } = (err as AppError).extensions;
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  res.status(status).json({ errors: [{ message: (err as AppError).message, extensions }] });
}

function parseVersion(value: unknown): number | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || !/^[1-9]\d{0,8}$/.test(value)) throw badInput('version must be a positive integer', 'version');
  return Number(value);
}

/**
 * `GET /soa/<scopeId>.csv` and `GET /soa/<scopeId>.json`, `?version=N` for an approved version
 * (the current state without it): the same export as the GraphQL `csv` and `json` fields, for
 * tools that download files. `Authorization: Bearer <API key>` with isms:read, scope restriction
 * as in GraphQL (NOT_FOUND outside the key's scopes).
 */
export function soaExportRouter(options: { db: DataSource; config: Config }): Router {
  const { db, config } = options;
  const router = Router();
  router.get('/soa/:file', async (req: Request, res: Response, next: NextFunction) => {
    const match = /^(.+)\.(csv|json)$/.exec(String(req.params.file));
    if (!match) {
      next();
      return;
    }
    const [, scopeId, format] = match;
    try {
      const principal = await authenticate(db, req.header('authorization'), config.allowAnonymousRead);
      if (!principal) throw unauthenticated();
      if (!grants(principal.permissions, Permission.ISMS_READ)) throw forbidden();
      const version = parseVersion(req.query.version);
      const ctx = createContext({ requestId: req.requestId, log: req.log, db, config, principal });
      const statement = await soaService.statement(ctx, scopeId, version);
      const name = `soa-${statement.scope.key}-${statement.version === null ? 'current' : `v${statement.version}`}`;
      res.setHeader('Cache-Control', 'no-store');
      if (format === 'csv') {
        res.setHeader('Content-Disposition', `attachment; filename="${name}.csv"`);
        res.type('text/csv; charset=utf-8; header=present').send(soaCsv(statement));
      } else {
        res.setHeader('Content-Disposition', `attachment; filename="${name}.json"`);
        res.json(await soaJson(ctx, statement));
      }
    } catch (err) {
      sendError(req, res, err);
    }
  });
  return router;
}
