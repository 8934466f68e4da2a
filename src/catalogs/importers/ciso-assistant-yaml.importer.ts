import { LineCounter, parseDocument, type Document } from 'yaml';
import type { MappingDraft } from '../catalog-writer';
import { childPath, importFault, isObject, rejectNul, type Place } from './document';
import { checkRepeats, rationaleAt, relationshipAt, strengthAt } from './mapping-rows';

/** One `requirement_mapping_set` of a CISO Assistant mapping library. */
export interface CisoMappingSet {
  /** Place of the set in the document. */
  place: Place;
  name: string | null;
  /** Framework keys named by the set's URNs, with their places; null when the set names none. */
  sourceFramework: { key: string; place: Place } | null;
  targetFramework: { key: string; place: Place } | null;
  drafts: MappingDraft[];
}

export interface CisoLibrary {
  name: string | null;
  sets: CisoMappingSet[];
}

const REQ_NODE = /^urn:[^:]+:[^:]+:req_node:[^:]+:(.+)$/i;
const FRAMEWORK = /^urn:[^:]+:[^:]+:framework:(.+)$/i;

/**
 * The requirement code a URN names: what follows `req_node:<framework>:` (CISO Assistant writes it
 * lower-case; the importer resolves it against codes case-insensitively), else the last segment.
 */
export function codeOfUrn(urn: string): string {
  const match = REQ_NODE.exec(urn.trim());
  if (match) return match[1];
  const parts = urn.trim().split(':');
  return parts[parts.length - 1];
}

/** The framework key a framework URN names (`urn:intuitem:risk:framework:iso27001-2022` → `iso27001-2022`). */
export function frameworkKeyOfUrn(urn: string): string {
  const match = FRAMEWORK.exec(urn.trim());
  if (match) return match[1];
  const parts = urn.trim().split(':');
  return parts[parts.length - 1];
}

/**
 * Reads a CISO Assistant mapping library: `objects.requirement_mapping_set` (one set) or
 * `objects.requirement_mapping_sets` (a list). Faults are BAD_USER_INPUT naming the YAML path
 * (`objects.requirement_mapping_set.requirement_mappings[3].target_requirement_urn`) and its line.
 */
export function parseCisoAssistantYaml(text: string): CisoLibrary {
  const lineCounter = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  } catch (err) {
    importFault(`The YAML document cannot be read: ${err instanceof Error ? err.message : String(err)}`, { path: '$' });
  }
  if (doc.errors.length) {
    const error = doc.errors[0];
    importFault(`The document is not valid YAML: ${error.message.split('\n')[0]}`, { path: '$', line: error.linePos?.[0]?.line });
  }
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    importFault(`The YAML document cannot be read: ${err instanceof Error ? err.message : String(err)}`, { path: '$' });
  }
  rejectNul(root);

  const place = (keys: Array<string | number>): Place => {
    let path = '';
    for (const k of keys) path = childPath(path, k);
    const node = doc.getIn(keys, true) as { range?: [number, number, number] } | undefined;
    const line = node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
    return line === undefined ? { path: path || '$' } : { path: path || '$', line };
  };
  const string = (value: unknown, keys: Array<string | number>, what: string): string => {
    if (typeof value !== 'string' || !value.trim()) importFault(`${what} must be a non-empty string`, place(keys));
    return value.trim();
  };

  if (!isObject(root)) importFault('The document is not a CISO Assistant library (a YAML mapping with `objects`)', { path: '$', line: 1 });
  if (!isObject(root.objects)) importFault('The library has no `objects` mapping', place(['objects']));
  const objects = root.objects;

  const setKeys: Array<Array<string | number>> = [];
  if (objects.requirement_mapping_set !== undefined) setKeys.push(['objects', 'requirement_mapping_set']);
  if (objects.requirement_mapping_sets !== undefined) {
    if (!Array.isArray(objects.requirement_mapping_sets)) importFault('requirement_mapping_sets must be a list', place(['objects', 'requirement_mapping_sets']));
    objects.requirement_mapping_sets.forEach((_s, i) => setKeys.push(['objects', 'requirement_mapping_sets', i]));
  }
  if (setKeys.length === 0) importFault('The library has no requirement_mapping_set or requirement_mapping_sets', place(['objects']));

  const sets = setKeys.map((keys): CisoMappingSet => {
    const set = valueAt(root, keys);
    if (!isObject(set)) importFault('A mapping set must be a YAML mapping', place(keys));
    const framework = (field: string) => {
      const value = set[field];
      if (value === undefined || value === null) return null;
      return { key: frameworkKeyOfUrn(string(value, [...keys, field], field)), place: place([...keys, field]) };
    };
    const list = set.requirement_mappings;
    if (!Array.isArray(list)) importFault('requirement_mappings must be a list', place([...keys, 'requirement_mappings']));
    const drafts = list.map((raw, i): MappingDraft => {
      const at = [...keys, 'requirement_mappings', i];
      if (!isObject(raw)) importFault('A requirement mapping must be a YAML mapping', place(at));
      const source = codeOfUrn(string(raw.source_requirement_urn, [...at, 'source_requirement_urn'], 'source_requirement_urn'));
      const target = codeOfUrn(string(raw.target_requirement_urn, [...at, 'target_requirement_urn'], 'target_requirement_urn'));
      const notes = raw.annotation;
      if (notes !== undefined && notes !== null && typeof notes !== 'string') importFault('annotation must be text', place([...at, 'annotation']));
      return {
        source,
        target,
        relationship: relationshipAt(raw.relationship, place([...at, 'relationship'])),
        rationale: rationaleAt(raw.rationale, place([...at, 'rationale'])),
        strength: strengthAt(raw.strength_of_relationship, place([...at, 'strength_of_relationship'])),
        notes: typeof notes === 'string' && notes.trim() ? notes : null,
        at: place(at),
      };
    });
    return {
      place: place(keys),
      name: typeof set.name === 'string' && set.name.trim() ? set.name.trim() : null,
      sourceFramework: framework('source_framework_urn'),
      targetFramework: framework('target_framework_urn'),
      drafts,
    };
  });
  for (const set of sets) checkRepeats(set.drafts);
  return { name: typeof root.name === 'string' && root.name.trim() ? root.name.trim() : null, sets };
}

function valueAt(root: unknown, keys: Array<string | number>): unknown {
  let value = root;
  for (const k of keys) value = (value as Record<string | number, unknown> | undefined)?.[k];
  return value;
}
