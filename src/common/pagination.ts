import { Field, InputType, Int, ObjectType, registerEnumType, ArgsType } from 'type-graphql';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { Max, Min } from 'class-validator';
import { badInput } from './errors';
import { isUuid } from './validation';

export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;

export enum SortDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(SortDirection, { name: 'SortDirection', description: 'Sort order.' });

@ObjectType({ simpleResolvers: true, description: 'Relay page information.' })
export class PageInfo {
  @Field({ description: 'True when another page follows.' })
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge; pass it as `after` for the next page.' })
  endCursor!: string | null;
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: `Page size, default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}.` })
  @Min(0)
  @Max(MAX_PAGE_SIZE)
  first?: number;

  @Field(() => String, { nullable: true, description: 'Cursor after which the page starts.' })
  after?: string;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}
export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  totalCount: number | Promise<number>;
}

type Class<T> = new (...args: never[]) => T;

/** Builds the `<Name>Connection` and `<Name>Edge` object types for a node type. */
export function ConnectionType<T>(node: Class<T>, name: string) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true, description: `An edge to a ${name}.` })
  class EdgeType {
    @Field({ description: 'Opaque keyset cursor of this edge.' })
    cursor!: string;

    @Field(() => node, { description: `The ${name}.` })
    node!: T;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true, description: `A page of ${name} records.` })
  class ConnectionClass {
    @Field(() => [EdgeType], { description: 'The records of this page.' })
    edges!: EdgeType[];

    @Field(() => PageInfo, { description: 'Where this page ends.' })
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'Number of records matching the filter (all pages); counted only when asked for.' })
    totalCount!: number;
  }
  return ConnectionClass;
}

/** Registers the `<Name>OrderField` enum and `<Name>Order` input for a whitelisted set of columns. */
export function OrderInput<E extends Record<string, string>>(fields: E, name: string, defaultField: E[keyof E]) {
  registerEnumType(fields, { name: `${name}OrderField`, description: `Fields ${name} lists can be ordered by.` });

  @InputType(`${name}Order`, { description: `Order of a ${name} list; ties are broken by id.` })
  class Order {
    @Field(() => fields, { defaultValue: defaultField, description: 'Field to order by.' })
    field: E[keyof E] = defaultField;

    @Field(() => SortDirection, { defaultValue: SortDirection.ASC, description: 'Direction.' })
    direction: SortDirection = SortDirection.ASC;
  }
  return Order;
}

type CursorValue = string | number;

export function encodeCursor(value: unknown, id: string, field?: string): string {
  const v = value instanceof Date ? value.toISOString() : value;
  return Buffer.from(JSON.stringify(field === undefined ? [v, id] : [v, id, field])).toString('base64url');
}

/** With `field`, the cursor must have been issued for that order: another order's value would not compare. */
export function decodeCursor(cursor: string, field?: string): [CursorValue, string] {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === (field === undefined ? 2 : 3) && (field === undefined || parsed[2] === field)
      && isUuid(parsed[1]) && (typeof parsed[0] === 'string' || typeof parsed[0] === 'number')) {
      return [parsed[0], parsed[1]];
    }
  } catch {
    // fall through
  }
  throw badInput('`after` is not a cursor this list issued', 'after');
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/** A cursor value the order column can take, so a forged cursor is BAD_USER_INPUT rather than a SQL error. */
function fitsColumn(qb: SelectQueryBuilder<ObjectLiteral>, property: string, value: CursorValue): boolean {
  const column = qb.expressionMap.mainAlias?.metadata.findColumnWithPropertyPath(property);
  if (!column) return true;
  const type = column.type;
  if (type === Date || (typeof type === 'string' && /^(timestamp|date|time)/i.test(type))) {
    return typeof value === 'string' && ISO_TIME.test(value) && !Number.isNaN(Date.parse(value));
  }
  if (type === Number || (typeof type === 'string' && /^(int|smallint|bigint|integer|numeric|decimal|float|double|real)/i.test(type))) {
    return typeof value === 'number';
  }
  if (column.enum) return column.enum.includes(value as string);
  return typeof value === 'string';
}

export interface PageRequest {
  first?: number | null;
  after?: string | null;
  /** Column to order by, e.g. `o.name`: always from a whitelist enum, never user text. */
  orderColumn: string;
  /** Entity property of the same column, read to build cursors. */
  orderProperty: string;
  direction: SortDirection;
}

export function pageSize(first: number | null | undefined): number {
  if (first === undefined || first === null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) throw badInput(`first must be between 0 and ${MAX_PAGE_SIZE}`, 'first');
  return first;
}

/**
 * Keyset pagination over a filtered query: `(order, id) > cursor`, one extra row to learn whether
 * another page follows, and a lazy count that only runs when `totalCount` is selected.
 */
export async function paginate<T extends ObjectLiteral & { id: string }>(qb: SelectQueryBuilder<T>, page: PageRequest): Promise<Connection<T>> {
  const limit = pageSize(page.first);
  const alias = qb.alias;
  const countQuery = qb.clone();
  const cmp = page.direction === SortDirection.ASC ? '>' : '<';
  if (page.after) {
    const [value, id] = decodeCursor(page.after, page.orderProperty);
    if (!fitsColumn(qb, page.orderProperty, value)) throw badInput('`after` is not a cursor this list issued', 'after');
    qb.andWhere(`(${page.orderColumn}, ${alias}.id) ${cmp} (:cursorValue, :cursorId)`, { cursorValue: value, cursorId: id });
  }
  qb.orderBy(page.orderColumn, page.direction).addOrderBy(`${alias}.id`, page.direction).limit(limit + 1);
  const rows = limit === 0 ? [] : await qb.getMany();
  const nodes = rows.slice(0, limit);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(node[page.orderProperty], node.id, page.orderProperty), node }));
  let count: Promise<number> | undefined;
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null },
    get totalCount() {
      count ??= countQuery.getCount();
      return count;
    },
  };
}
