import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { badInput } from '../common/errors';
import { decodeCursor, encodeCursor, pageSize, type Connection, type Edge } from '../common/pagination';

/**
 * A nested connection (scope.risks, scope.controls) loaded for every parent of a list at once:
 * one windowed statement for the page ids of all parents, one by-id batch for the rows, and a
 * grouped count only when `totalCount` is asked for.
 */
export interface ChildPageSpec {
  /** Name of the relation, e.g. `scope.risks`: cursors carry it, so one relation's cursor is refused by another. */
  name: string;
  /** FROM clause with the child aliased `e`, e.g. `risk e` or `control e JOIN control_scope l ON l.control_id = e.id`. */
  from: string;
  /** Expression of the parent id, e.g. `e.scope_id`. */
  parentExpr: string;
  /** Order column of the child (never user input), e.g. `e.created_at`. */
  orderExpr: string;
  /** Type of the order column, to refuse a forged cursor value before it reaches SQL. */
  orderType: 'timestamp' | 'text';
  /** Extra condition, e.g. `e.archived_at IS NULL`. */
  where?: string;
}

export interface ChildPageKey {
  parentId: string;
  first?: number | null;
  after?: string | null;
}

interface PageIds {
  ids: string[];
  cursors: string[];
  hasNextPage: boolean;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/** The keyset position of an `after` cursor of this relation; BAD_USER_INPUT for anything else. */
function decodeChildCursor(spec: ChildPageSpec, after: string): [string, string] {
  const [value, id] = decodeCursor(after, spec.name);
  const fits = typeof value === 'string' && (spec.orderType === 'text' || (ISO_TIME.test(value) && !Number.isNaN(Date.parse(value))));
  if (!fits) throw badInput('`after` is not a cursor this list issued', 'after');
  return [value, id];
}

export function childPageLoaders(db: DataSource, spec: ChildPageSpec) {
  const where = spec.where ? `AND ${spec.where}` : '';
  const pages = new DataLoader<ChildPageKey, PageIds, string>(
    async (keys) => {
      const groups = new Map<string, ChildPageKey[]>();
      for (const key of keys) {
        const group = `${key.first ?? ''}|${key.after ?? ''}`;
        groups.set(group, [...(groups.get(group) ?? []), key]);
      }
      const result = new Map<string, PageIds>();
      for (const [group, members] of groups) {
        const limit = pageSize(members[0].first);
        const params: unknown[] = [members.map((m) => m.parentId), limit + 1];
        let cursor = '';
        if (members[0].after) {
          const [value, id] = decodeChildCursor(spec, members[0].after);
          params.push(value, id);
          cursor = `AND (${spec.orderExpr}, e.id) > ($3, $4)`;
        }
        const rows: Array<{ parent_id: string; id: string; sort_value: unknown }> = limit === 0 ? [] : await db.query(
          `SELECT parent_id, id, sort_value FROM (
             SELECT ${spec.parentExpr} AS parent_id, e.id, ${spec.orderExpr} AS sort_value,
                    row_number() OVER (PARTITION BY ${spec.parentExpr} ORDER BY ${spec.orderExpr}, e.id) AS rn
             FROM ${spec.from} WHERE ${spec.parentExpr} = ANY($1::uuid[]) ${where} ${cursor}) x
           WHERE rn <= $2 ORDER BY parent_id, rn`,
          params,
        );
        const byParent = new Map<string, typeof rows>();
        for (const r of rows) {
          const list = byParent.get(r.parent_id);
          if (list) list.push(r);
          else byParent.set(r.parent_id, [r]);
        }
        for (const m of members) {
          const mine = byParent.get(m.parentId) ?? [];
          const kept = mine.slice(0, limit);
          result.set(`${m.parentId}|${group}`, {
            ids: kept.map((r) => r.id),
            cursors: kept.map((r) => encodeCursor(r.sort_value, r.id, spec.name)),
            hasNextPage: mine.length > limit,
          });
        }
      }
      return keys.map((k) => result.get(`${k.parentId}|${k.first ?? ''}|${k.after ?? ''}`)!);
    },
    { cacheKeyFn: (k) => `${k.parentId}|${k.first ?? ''}|${k.after ?? ''}` },
  );
  const counts = new DataLoader<string, number>(async (parentIds) => {
    const rows: Array<{ parent_id: string; n: string }> = await db.query(
      `SELECT ${spec.parentExpr} AS parent_id, count(*) AS n FROM ${spec.from} WHERE ${spec.parentExpr} = ANY($1::uuid[]) ${where} GROUP BY 1`,
      [[...parentIds]],
    );
    const byParent = new Map(rows.map((r) => [r.parent_id, Number(r.n)]));
    return parentIds.map((id) => byParent.get(id) ?? 0);
  });
  return {
    pages,
    counts,
    /** Checks an `after` cursor for one field, so a bad cursor fails that field and not the whole batch. */
    checkCursor: (after: string | null | undefined): void => {
      if (after) decodeChildCursor(spec, after);
    },
  };
}

/** Assembles the connection from page ids and the child by-id loader. */
export async function childConnection<T>(
  loaders: ReturnType<typeof childPageLoaders>,
  byId: DataLoader<string, T | null>,
  key: ChildPageKey,
): Promise<Connection<T>> {
  loaders.checkCursor(key.after);
  pageSize(key.first);
  const page = await loaders.pages.load(key);
  const nodes = await byId.loadMany(page.ids);
  const edges: Edge<T>[] = [];
  nodes.forEach((node, i) => {
    if (node && !(node instanceof Error)) edges.push({ cursor: page.cursors[i], node });
  });
  return {
    edges,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.cursors.at(-1) ?? null },
    get totalCount() {
      return loaders.counts.load(key.parentId);
    },
  };
}
