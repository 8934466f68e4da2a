import { Field, InputType, Int, ObjectType, registerEnumType, ArgsType } from 'type-graphql';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { Max, Min } from 'class-validator';
import { badInput } from './errors';

export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;

export enum SortDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(SortDirection, { name: 'SortDirection', description: 'Sort order.' });

@ObjectType({ description: 'Relay page information.' })
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
  @ObjectType(`${name}Edge`, { description: `An edge to a ${name}.` })
  class EdgeType {
    @Field({ description: 'Opaque keyset cursor of this edge.' })
    cursor!: string;

    @Field(() => node, { description: `The ${name}.` })
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} records.` })
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

function encodeCursor(value: unknown, id: string): string {
  const v = value instanceof Date ? value.toISOString() : value;
  return Buffer.from(JSON.stringify([v, id])).toString('base64url');
}

function decodeCursor(cursor: string): [CursorValue, string] {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string' && /^[0-9a-f-]{36}$/i.test(parsed[1])
      && (typeof parsed[0] === 'string' || typeof parsed[0] === 'number')) {
      return parsed as [CursorValue, string];
    }
  } catch {
    // fall through
  }
  throw badInput('`after` is not a cursor this list issued', 'after');
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
    const [value, id] = decodeCursor(page.after);
    qb.andWhere(`(${page.orderColumn}, ${alias}.id) ${cmp} (:cursorValue, :cursorId)`, { cursorValue: value, cursorId: id });
  }
  qb.orderBy(page.orderColumn, page.direction).addOrderBy(`${alias}.id`, page.direction).limit(limit + 1);
  const rows = limit === 0 ? [] : await qb.getMany();
  const nodes = rows.slice(0, limit);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(node[page.orderProperty], node.id), node }));
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
