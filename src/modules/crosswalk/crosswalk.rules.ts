import { Relationship } from './crosswalk.entity';

/** Read backwards, SUBSET_OF and SUPERSET_OF swap; the others stay (NIST IR 8477). */
export function inverse(relationship: Relationship): Relationship {
  if (relationship === Relationship.SUBSET_OF) return Relationship.SUPERSET_OF;
  if (relationship === Relationship.SUPERSET_OF) return Relationship.SUBSET_OF;
  return relationship;
}

/** A hop is FULL when, read from the covered side, the relationship is EQUAL or SUPERSET_OF. */
export function isFullHop(relationshipFromCoveredSide: Relationship): boolean {
  return relationshipFromCoveredSide === Relationship.EQUAL || relationshipFromCoveredSide === Relationship.SUPERSET_OF;
}

// a Map, not an object literal: `constructor` or `__proto__` must not read as a relationship
const SPELLINGS = new Map<string, Relationship>(Object.entries({
  equal: Relationship.EQUAL, equals: Relationship.EQUAL, equivalent: Relationship.EQUAL, eq: Relationship.EQUAL,
  subset: Relationship.SUBSET_OF, subset_of: Relationship.SUBSET_OF, 'subset of': Relationship.SUBSET_OF, is_subset_of: Relationship.SUBSET_OF,
  superset: Relationship.SUPERSET_OF, superset_of: Relationship.SUPERSET_OF, 'superset of': Relationship.SUPERSET_OF, is_superset_of: Relationship.SUPERSET_OF,
  intersect: Relationship.INTERSECTS_WITH, intersects: Relationship.INTERSECTS_WITH, intersects_with: Relationship.INTERSECTS_WITH, 'intersects with': Relationship.INTERSECTS_WITH, intersection: Relationship.INTERSECTS_WITH,
  not_related: Relationship.NOT_RELATED, 'not related': Relationship.NOT_RELATED, no_relationship: Relationship.NOT_RELATED, not_related_to: Relationship.NOT_RELATED,
}));

/** Accepts the common spellings importers meet (`intersect`, `subset`, `equal`, …); undefined otherwise. */
export function parseRelationship(text: string): Relationship | undefined {
  const key = text.trim().toLowerCase().replace(/-/g, '_');
  return SPELLINGS.get(key) ?? SPELLINGS.get(key.replace(/_/g, ' '));
}
