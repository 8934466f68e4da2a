import { parseCsvTable } from '../../catalogs/importers/csv';
import { childPath, importFault, isObject, parseJsonDocument, type Place } from '../../catalogs/importers/document';
import { NAME_MAX } from '../../common/validation';
import { Environment, NhiKind } from './asset.entity';
import { EXTERNAL_ID_MAX, NhiDocumentFormat, ROTATION_INTERVAL_MAX } from './asset.inputs';

/** More rows than this belong in several imports (one transaction holds every row's lock). */
export const IMPORT_ROWS_MAX = 10_000;
/** Clocks of exporters drift; a rotation "a moment from now" is still a rotation. */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** A reference the service resolves against the database, with where it stands in the document. */
export interface RowRef {
  value: string;
  place: Place;
}

/** One identity of an export, checked and normalised. */
export interface NhiRow {
  place: Place;
  externalId: string;
  name: string;
  nhiKind: NhiKind;
  owner: RowRef | null;
  environments: Environment[];
  consumers: RowRef[];
  privileged: boolean;
  humanUse: boolean;
  lastRotatedAt: Date | null;
  rotationIntervalDays: number | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

export interface NhiDocument {
  rows: NhiRow[];
  ignoredFields: string[];
}

type Field = 'id' | 'name' | 'type' | 'owner' | 'environments' | 'consumers' | 'privileged' | 'humanUse' | 'lastRotated' | 'rotationDays' | 'expires' | 'lastUsed';

/** Accepted spellings of each field, compared lower-case without `_`, `-` and spaces. */
const ALIASES: Record<Field, string[]> = {
  id: ['id', 'externalid'],
  name: ['name', 'displayname'],
  type: ['type', 'kind', 'nhikind'],
  owner: ['owner', 'owneremail'],
  environments: ['environments', 'environment', 'env'],
  consumers: ['consumers', 'usedby'],
  privileged: ['privileged'],
  humanUse: ['humanuse'],
  lastRotated: ['lastrotated', 'lastrotatedat', 'rotatedat'],
  rotationDays: ['rotationdays', 'rotationintervaldays', 'rotationinterval'],
  expires: ['expires', 'expiresat', 'expiry', 'expiration'],
  lastUsed: ['lastused', 'lastusedat'],
};
const FIELD_OF = new Map<string, Field>(Object.entries(ALIASES).flatMap(([field, names]) => names.map((n) => [n, field as Field] as const)));
const normalKey = (key: string): string => key.trim().toLowerCase().replace(/[\s_-]+/g, '');

const ENVIRONMENTS: Record<string, Environment> = {
  production: Environment.PRODUCTION, prod: Environment.PRODUCTION,
  staging: Environment.STAGING, stage: Environment.STAGING, stg: Environment.STAGING,
  development: Environment.DEVELOPMENT, dev: Environment.DEVELOPMENT,
  test: Environment.TEST, testing: Environment.TEST,
};
const ENVIRONMENT_ORDER = Object.values(Environment);

const TRUE = new Set(['true', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'no', 'n', '0']);

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** A raw value and where it is: JSON values keep their type, CSV cells are strings. */
interface Cell {
  value: unknown;
  place: Place;
}

const describe = (value: unknown): string => {
  // never stringify a whole array or object: it may be huge or nest deeper than the call stack
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (value !== null && typeof value === 'object') return 'an object';
  const text = typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
};

/** Text of a scalar cell; undefined when absent, null or blank. */
function text(cell: Cell, what: string): string | undefined {
  const { value } = cell;
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') importFault(`${what} must be a string, not ${describe(value)}`, cell.place);
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** Values of a list cell: a JSON array of strings, or a string separated by `;`, `|` (and `,` for environments). */
function list(cell: Cell, what: string, separators: RegExp): RowRef[] {
  const { value, place } = cell;
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => {
      const at = place.path !== undefined ? { path: childPath(place.path, i) } : place;
      const item_ = text({ value: item, place: at }, `${what} entries`);
      return item_ === undefined ? [] : [{ value: item_, place: at }];
    });
  }
  if (typeof value !== 'string') importFault(`${what} must be a list of strings, not ${describe(value)}`, place);
  return value.split(separators).map((v) => v.trim()).filter((v) => v !== '').map((v) => ({ value: v, place }));
}

function nhiKindOf(cell: Cell): NhiKind {
  const raw = text(cell, 'type');
  if (raw === undefined) importFault('type is required: one of service_account, api_key, oauth_client, secret, certificate, workload_identity, ai_agent', cell.place);
  const kind = (NhiKind as Record<string, NhiKind>)[raw.toUpperCase().replace(/[\s-]+/g, '_')];
  if (!kind) importFault(`"${raw}" is not a non-human identity type; use one of ${Object.values(NhiKind).map((k) => k.toLowerCase()).join(', ')}`, cell.place);
  return kind;
}

function environmentsOf(cell: Cell): Environment[] {
  const found = new Set<Environment>();
  for (const ref of list(cell, 'environments', /[;|,]/)) {
    const env = ENVIRONMENTS[ref.value.toLowerCase()];
    if (!env) importFault(`"${ref.value}" is not an environment; use production, staging, development or test`, ref.place);
    found.add(env);
  }
  return ENVIRONMENT_ORDER.filter((e) => found.has(e));
}

function consumersOf(cell: Cell): RowRef[] {
  const seen = new Set<string>();
  const refs: RowRef[] = [];
  for (const ref of list(cell, 'consumers', /[;|]/)) {
    if (ref.value.length > EXTERNAL_ID_MAX) importFault(`A consumer reference is longer than ${EXTERNAL_ID_MAX} characters`, ref.place);
    if (seen.has(ref.value.toLowerCase())) continue;
    seen.add(ref.value.toLowerCase());
    refs.push(ref);
  }
  return refs;
}

function booleanOf(cell: Cell, what: string): boolean {
  const { value } = cell;
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  const raw = text(cell, what)?.toLowerCase();
  if (raw === undefined) return false;
  if (TRUE.has(raw)) return true;
  if (FALSE.has(raw)) return false;
  return importFault(`${what} must be true or false, not ${describe(value)}`, cell.place);
}

function dateOf(cell: Cell, what: string, options: { notFuture?: boolean; now: number }): Date | null {
  const raw = text(cell, what);
  if (raw === undefined) return null;
  if (typeof cell.value === 'number') importFault(`${what} must be an ISO-8601 date, not a number`, cell.place);
  const parts = DATE_ONLY.exec(raw) ?? DATE_TIME.exec(raw);
  // Date rolls 2025-02-30 over into March: the calendar day must survive the round trip
  const day = parts ? `${parts[1]}-${parts[2]}-${parts[3]}` : '';
  const midnight = new Date(`${day}T00:00:00Z`);
  const date = !parts ? null : DATE_ONLY.test(raw) ? midnight : new Date(raw);
  const valid = date !== null && !Number.isNaN(midnight.getTime()) && midnight.toISOString().slice(0, 10) === day && !Number.isNaN(date.getTime());
  if (!valid) importFault(`${what} must be an ISO-8601 date such as 2025-01-31 or 2025-01-31T12:00:00Z, not ${describe(cell.value)}`, cell.place);
  if (options.notFuture && date!.getTime() > options.now + CLOCK_SKEW_MS) importFault(`${what} ${raw} is in the future`, cell.place);
  return date!;
}

function intervalOf(cell: Cell): number | null {
  const { value } = cell;
  const raw = typeof value === 'number' ? value : text(cell, 'rotationDays');
  if (raw === undefined) return null;
  const days = typeof raw === 'number' ? raw : /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(days) || days < 1 || days > ROTATION_INTERVAL_MAX) {
    importFault(`rotationDays must be a whole number of days from 1 to ${ROTATION_INTERVAL_MAX}, not ${describe(value)}`, cell.place);
  }
  return days;
}

/** Checks one row given a lookup of its cells by field. */
function readRow(place: Place, cell: (field: Field) => Cell, now: number): NhiRow {
  const idCell = cell('id');
  const externalId = text(idCell, 'id');
  if (externalId === undefined) importFault('id is required: the identity\'s id in the source system', idCell.place);
  if (externalId.length > EXTERNAL_ID_MAX) importFault(`id is longer than ${EXTERNAL_ID_MAX} characters`, idCell.place);
  const nameCell = cell('name');
  const name = text(nameCell, 'name') ?? externalId.slice(0, NAME_MAX);
  if (name.length > NAME_MAX) importFault(`name is longer than ${NAME_MAX} characters`, nameCell.place);
  const ownerCell = cell('owner');
  const owner = text(ownerCell, 'owner');
  return {
    place,
    externalId,
    name,
    nhiKind: nhiKindOf(cell('type')),
    owner: owner === undefined ? null : { value: owner, place: ownerCell.place },
    environments: environmentsOf(cell('environments')),
    consumers: consumersOf(cell('consumers')),
    privileged: booleanOf(cell('privileged'), 'privileged'),
    humanUse: booleanOf(cell('humanUse'), 'humanUse'),
    lastRotatedAt: dateOf(cell('lastRotated'), 'lastRotated', { notFuture: true, now }),
    rotationIntervalDays: intervalOf(cell('rotationDays')),
    expiresAt: dateOf(cell('expires'), 'expires', { now }),
    lastUsedAt: dateOf(cell('lastUsed'), 'lastUsed', { notFuture: true, now }),
  };
}

function checkSize(count: number, place: Place): void {
  if (count > IMPORT_ROWS_MAX) importFault(`The document has ${count} identities; import at most ${IMPORT_ROWS_MAX} at a time`, place);
}

function parseJson(document: string, now: number): NhiDocument {
  const parsed = parseJsonDocument(document, 'document');
  let items: unknown[];
  let root: string;
  if (Array.isArray(parsed)) {
    items = parsed;
    root = '';
  } else if (isObject(parsed) && Array.isArray(parsed.items)) {
    items = parsed.items;
    root = 'items';
  } else {
    importFault('The document must be an array of identities or an object with an "items" array', { path: '$' });
  }
  checkSize(items.length, { path: root || '$' });
  const ignored = new Set<string>();
  const rows = items.map((item, i) => {
    const path = childPath(root, i);
    if (!isObject(item)) importFault(`Identity ${path} must be an object, not ${describe(item)}`, { path });
    const keys = new Map<Field, string>();
    for (const key of Object.keys(item)) {
      const field = FIELD_OF.get(normalKey(key));
      if (!field) {
        ignored.add(key);
        continue;
      }
      const other = keys.get(field);
      if (other !== undefined) importFault(`"${key}" and "${other}" both give ${field}`, { path: childPath(path, key) });
      keys.set(field, key);
    }
    const cell = (field: Field): Cell => {
      const key = keys.get(field);
      return { value: key === undefined ? undefined : item[key], place: { path: childPath(path, key ?? field) } };
    };
    return readRow({ path }, cell, now);
  });
  return { rows, ignoredFields: [...ignored].sort() };
}

function parseCsvDocument(document: string, now: number): NhiDocument {
  const table = parseCsvTable(document);
  const index = new Map<Field, number>();
  const ignored: string[] = [];
  table.columns.forEach((column, i) => {
    if (!column) return;
    const field = FIELD_OF.get(normalKey(column));
    if (!field) {
      ignored.push(column);
      return;
    }
    if (index.has(field)) importFault(`The columns "${table.columns[index.get(field)!]}" and "${column}" both give ${field}`, { line: 1 });
    index.set(field, i);
  });
  if (!index.has('id')) importFault('The header has no id column (id,name,type,owner,environments,consumers,privileged,humanUse,lastRotated,rotationDays,expires,lastUsed)', { line: 1 });
  if (!index.has('type')) importFault('The header has no type column', { line: 1 });
  checkSize(table.records.length, { line: 1 });
  const rows = table.records.map((record) => {
    const place = { line: record.line };
    const cell = (field: Field): Cell => {
      const i = index.get(field);
      return { value: i === undefined ? undefined : record.fields[i] ?? '', place };
    };
    return readRow(place, cell, now);
  });
  return { rows, ignoredFields: ignored };
}

/**
 * Reads an export of non-human identities (format in ImportNonHumanIdentitiesInput's description).
 * Every fault is BAD_USER_INPUT naming `path` (JSON) or `line` (CSV); ids must be unique.
 */
export function parseNhiDocument(document: string, format: NhiDocumentFormat, now = Date.now()): NhiDocument {
  const parsed = format === NhiDocumentFormat.JSON ? parseJson(document, now) : parseCsvDocument(document, now);
  const seen = new Map<string, Place>();
  for (const row of parsed.rows) {
    const first = seen.get(row.externalId);
    const at = row.place.path !== undefined ? { path: childPath(row.place.path, 'id') } : row.place;
    if (first) importFault(`id "${row.externalId}" appears twice (first at ${first.path ?? `line ${first.line}`})`, at);
    seen.set(row.externalId, row.place);
  }
  return parsed;
}
