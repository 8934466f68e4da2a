import { MappingRationale, Relationship } from '../../modules/crosswalk/crosswalk.entity';
import { parseRelationship } from '../../modules/crosswalk/crosswalk.rules';
import type { MappingDraft } from '../catalog-writer';
import { importFault, type Place } from './document';

const VOCABULARY = `${Object.values(Relationship).join(', ')} (or equal, subset, superset, intersect, not_related)`;

/** A relationship in any accepted spelling; anything else is BAD_USER_INPUT at `place`. */
export function relationshipAt(value: unknown, place: Place): Relationship {
  const relationship = typeof value === 'string' ? parseRelationship(value) : undefined;
  if (!relationship) importFault(`"${String(value ?? '')}" is not a relationship; use one of ${VOCABULARY}`, place);
  return relationship;
}

/** A NIST IR 8477 rationale (any case), or null when empty. */
export function rationaleAt(value: unknown, place: Place): MappingRationale | null {
  if (value === null || value === undefined || (typeof value === 'string' && !value.trim())) return null;
  const rationale = typeof value === 'string' ? (MappingRationale as Record<string, MappingRationale>)[value.trim().toUpperCase()] : undefined;
  if (!rationale) importFault(`"${String(value)}" is not a rationale; use one of ${Object.values(MappingRationale).join(', ')}`, place);
  return rationale;
}

/** A strength 0-10, or null when empty. */
export function strengthAt(value: unknown, place: Place): number | null {
  if (value === null || value === undefined || (typeof value === 'string' && !value.trim())) return null;
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(String(value)) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 10) importFault(`"${String(value)}" is not a strength; use a whole number from 0 to 10`, place);
  return n;
}

/**
 * The same source and target twice is one mapping: an identical repeat is skipped, a repeat that
 * says something else (relationship, rationale, strength) is BAD_USER_INPUT at the repeat.
 */
export function checkRepeats(drafts: MappingDraft[]): void {
  const seen = new Map<string, MappingDraft>();
  for (const d of drafts) {
    const key = `${d.source.toLowerCase()}\u0000${d.target.toLowerCase()}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, d);
      continue;
    }
    if (first.relationship !== d.relationship || (first.rationale ?? null) !== (d.rationale ?? null) || (first.strength ?? null) !== (d.strength ?? null)) {
      importFault(`${d.source} → ${d.target} is mapped twice with different values`, d.at ?? {});
    }
  }
}
