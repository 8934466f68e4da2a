import { FrameworkKind } from '../../modules/framework/framework.entity';
import { RequirementKind } from '../../modules/framework/requirement.entity';
import type { RequirementDraft } from '../catalog-writer';
import { ATTRIBUTES, attributeValue, orderedValues, type AttributeValues } from './attributes';
import { childPath, importFault, isObject, parseJsonDocument } from './document';

/**
 * Namespace of the props isms-graph writes into its OSCAL exports (requirement kind, assessable,
 * aliases, ISO/IEC 27002 attributes, licence…) so that an export imports back to the same rows.
 * Props in other namespaces are OSCAL's or another tool's and are read only where OSCAL defines them.
 */
export const ISMS_OSCAL_NS = 'urn:isms-graph:ns:oscal';
const OSCAL_NS = 'http://csrc.nist.gov/ns/oscal';

/** A requirement read from a document, with where it came from and its ISO/IEC 27002 attributes. */
export type ImportedRequirement = RequirementDraft & { attributes?: AttributeValues };

export interface OscalCatalogImport {
  title: string;
  version: string;
  oscalVersion: string;
  kind: FrameworkKind | null;
  publisher: string | null;
  licence: string | null;
  sourceUrl: string | null;
  attribution: string | null;
  requirements: ImportedRequirement[];
}

interface Prop {
  name: string;
  value: string;
  ns?: string;
  class?: string;
  path: string;
}

type Param = Record<string, unknown>;

/** Deepest nesting of groups, controls or parts read (real catalogs nest a handful of levels). */
export const MAX_NESTING = 64;

function checkDepth(depth: number, path: string): void {
  if (depth > MAX_NESTING) importFault(`Nested more than ${MAX_NESTING} levels deep`, { path });
}

const INSERT_PARAM = /\{\{\s*insert:\s*param,\s*([^\s}]+)\s*\}\}/g;

function text(value: unknown, path: string, what: string): string {
  if (typeof value !== 'string' || !value.trim()) importFault(`${what} must be a non-empty string`, { path });
  return value.trim();
}

function array(value: unknown, path: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) importFault('Expected an array', { path });
  return value;
}

function object(value: unknown, path: string, what: string): Record<string, unknown> {
  if (!isObject(value)) importFault(`${what} must be an object`, { path });
  return value;
}

function propsOf(element: Record<string, unknown>, path: string): Prop[] {
  return array(element.props, childPath(path, 'props')).map((raw, i) => {
    const at = childPath(childPath(path, 'props'), i);
    const p = object(raw, at, 'A prop');
    if (typeof p.name !== 'string' || typeof p.value !== 'string') importFault('A prop needs a string name and value', { path: at });
    return { name: p.name, value: p.value, ns: typeof p.ns === 'string' ? p.ns : undefined, class: typeof p.class === 'string' ? p.class : undefined, path: at };
  });
}

const standard = (p: Prop) => p.ns === undefined || p.ns === OSCAL_NS;
const ours = (p: Prop) => p.ns === ISMS_OSCAL_NS;

/** Renders a parameter the way NIST prints it: its values, `[Selection: …]` or `[Assignment: label]`. */
function renderParam(params: Map<string, Param>, id: string, depth: number): string {
  const param = params.get(id);
  if (!param) return `[Assignment: ${id}]`;
  const values = Array.isArray(param.values) ? param.values.filter((v): v is string => typeof v === 'string') : [];
  if (values.length) return values.map((v) => substitute(params, v, depth + 1)).join(', ');
  if (isObject(param.select)) {
    const choices = Array.isArray(param.select.choice) ? param.select.choice.filter((c): c is string => typeof c === 'string') : [];
    const many = param.select['how-many'] === 'one-or-more' ? ' (one or more)' : '';
    return `[Selection${many}: ${choices.map((c) => substitute(params, c, depth + 1)).join('; ')}]`;
  }
  if (typeof param.label === 'string') return `[Assignment: ${param.label}]`;
  return `[Assignment: ${id}]`;
}

function substitute(params: Map<string, Param>, prose: string, depth = 0): string {
  if (depth > 5) return prose;
  return prose.replace(INSERT_PARAM, (_m, id: string) => renderParam(params, id, depth));
}

function labelOf(props: Prop[]): string | undefined {
  const labels = props.filter((p) => standard(p) && p.name === 'label' && p.value.trim());
  return (labels.find((p) => !p.class) ?? labels[0])?.value.trim();
}

/** The statement as plain text: each item on its own line with its label, nested items indented. */
function flattenStatement(params: Map<string, Param>, part: Record<string, unknown>, path: string, depth: number, lines: string[]): void {
  checkDepth(depth, path);
  const props = propsOf(part, path);
  const label = labelOf(props);
  const prose = typeof part.prose === 'string' ? substitute(params, part.prose).trim() : '';
  if (label || prose) lines.push(`${'  '.repeat(Math.max(0, depth - 1))}${[label, prose].filter(Boolean).join(' ')}`);
  array(part.parts, childPath(path, 'parts')).forEach((child, i) => {
    const at = childPath(childPath(path, 'parts'), i);
    flattenStatement(params, object(child, at, 'A part'), at, depth + 1, lines);
  });
}

function collectExamples(params: Map<string, Param>, parts: unknown[], path: string, out: string[], depth = 0): void {
  checkDepth(depth, path);
  parts.forEach((raw, i) => {
    const at = childPath(path, i);
    const part = object(raw, at, 'A part');
    if (part.name === 'example' && typeof part.prose === 'string' && part.prose.trim()) out.push(substitute(params, part.prose).trim());
    collectExamples(params, array(part.parts, childPath(at, 'parts')), childPath(at, 'parts'), out, depth + 1);
  });
}

function collectParams(element: Record<string, unknown>, path: string, params: Map<string, Param>, depth = 0): void {
  checkDepth(depth, path);
  array(element.params, childPath(path, 'params')).forEach((raw, i) => {
    const p = object(raw, childPath(childPath(path, 'params'), i), 'A param');
    if (typeof p.id === 'string') params.set(p.id, p);
  });
  for (const key of ['groups', 'controls'] as const) {
    array(element[key], childPath(path, key)).forEach((child, i) => {
      const at = childPath(childPath(path, key), i);
      collectParams(object(child, at, key === 'groups' ? 'A group' : 'A control'), at, params, depth + 1);
    });
  }
}

function boolean(p: Prop): boolean {
  const v = p.value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  return importFault(`Prop ${p.name} must be true or false`, { path: childPath(p.path, 'value') });
}

/**
 * Reads an OSCAL 1.0 or 1.1 catalog (JSON). Groups become GROUP requirements (not assessable),
 * controls and enhancements CONTROL requirements (assessable unless withdrawn) under their group
 * or parent control; the code is the control's `label` prop (the id upper-cased when it has none),
 * the OSCAL id and other labels are kept as aliases; the text is the statement flattened to plain
 * text with parameters shown as NIST prints them. Faults are BAD_USER_INPUT naming their JSON path.
 */
export function parseOscalCatalog(document: string): OscalCatalogImport {
  const root = parseJsonDocument(document, 'OSCAL document');
  if (!isObject(root) || !isObject(root.catalog)) importFault('The document has no OSCAL catalog (a top-level "catalog" object)', { path: 'catalog' });
  const catalog = root.catalog;
  const metadata = object(catalog.metadata, 'catalog.metadata', 'catalog.metadata');
  const title = text(metadata.title, 'catalog.metadata.title', 'The catalog title');
  const version = text(metadata.version, 'catalog.metadata.version', 'The catalog version');
  if (version.length > 64) importFault('The catalog version must be at most 64 characters', { path: 'catalog.metadata.version' });
  const oscalVersion = text(metadata['oscal-version'], 'catalog.metadata.oscal-version', 'oscal-version');
  if (!/^1\.[01]\.\d+/.test(oscalVersion)) importFault(`OSCAL ${oscalVersion} is not supported; this importer reads OSCAL 1.0 and 1.1`, { path: 'catalog.metadata.oscal-version' });

  const metaProps = propsOf(metadata, 'catalog.metadata');
  const metaProp = (name: string) => metaProps.find((p) => ours(p) && p.name === name);
  let kind: FrameworkKind | null = null;
  const kindProp = metaProp('framework-kind');
  if (kindProp) {
    if (!Object.values(FrameworkKind).includes(kindProp.value as FrameworkKind)) importFault(`Unknown framework kind "${kindProp.value}"`, { path: childPath(kindProp.path, 'value') });
    kind = kindProp.value as FrameworkKind;
  }
  const links = array(metadata.links, 'catalog.metadata.links').filter(isObject);
  const canonical = links.find((l) => l.rel === 'canonical' && typeof l.href === 'string' && /^https?:\/\//.test(l.href));

  const params = new Map<string, Param>();
  collectParams(catalog, 'catalog', params);

  const requirements: ImportedRequirement[] = [];
  const ids = new Map<string, string>();

  const visit = (element: Record<string, unknown>, path: string, isGroup: boolean, parent: string | null) => {
    const what = isGroup ? 'A group' : 'A control';
    const props = propsOf(element, path);
    const id = element.id === undefined && isGroup ? undefined : text(element.id, childPath(path, 'id'), `${what}'s id`);
    if (id !== undefined) {
      if (ids.has(id)) importFault(`Duplicate OSCAL id ${id} (first at ${ids.get(id)})`, { path: childPath(path, 'id') });
      ids.set(id, path);
    }
    const label = labelOf(props);
    const code = label ?? id?.toUpperCase();
    if (!code) importFault(`${what} needs an id or a label prop`, { path });
    const elementTitle = text(element.title, childPath(path, 'title'), `${code}'s title`);
    const withdrawn = props.some((p) => standard(p) && p.name === 'status' && p.value.trim().toLowerCase() === 'withdrawn');

    let requirementKind = isGroup ? RequirementKind.GROUP : RequirementKind.CONTROL;
    let assessable = !isGroup && !withdrawn;
    let idGenerated = false;
    const aliases: string[] = [];
    const attributes: AttributeValues = {};
    for (const p of props.filter(ours)) {
      if (p.name === 'requirement-kind') {
        if (!Object.values(RequirementKind).includes(p.value as RequirementKind)) importFault(`Unknown requirement kind "${p.value}"`, { path: childPath(p.path, 'value') });
        requirementKind = p.value as RequirementKind;
      } else if (p.name === 'assessable') assessable = boolean(p);
      else if (p.name === 'id-generated') idGenerated = boolean(p);
      else {
        const attribute = ATTRIBUTES.find((a) => a.prop === p.name);
        if (attribute) {
          const value = attributeValue(attribute.name, p.value);
          if (!value) importFault(`"${p.value}" is not a ${attribute.prop} value`, { path: childPath(p.path, 'value') });
          (attributes[attribute.name] ??= []).push(value);
        }
      }
    }
    if (id !== undefined && !idGenerated) aliases.push(id);
    for (const p of props) {
      if (standard(p) && p.name === 'label' && p.value.trim()) aliases.push(p.value.trim());
      if (ours(p) && p.name === 'alias' && p.value.trim()) aliases.push(p.value.trim());
    }
    for (const a of ATTRIBUTES) if (attributes[a.name]) attributes[a.name] = orderedValues(a.name, attributes[a.name]!);

    const parts = array(element.parts, childPath(path, 'parts'));
    const lines: string[] = [];
    parts.forEach((raw, i) => {
      const at = childPath(childPath(path, 'parts'), i);
      const part = object(raw, at, 'A part');
      if (part.name === 'statement') flattenStatement(params, part, at, 0, lines);
    });
    const examples: string[] = [];
    collectExamples(params, parts, childPath(path, 'parts'), examples);
    const url = array(element.links, childPath(path, 'links'))
      .filter(isObject)
      .find((l) => l.rel === 'alternate' && typeof l.href === 'string' && /^https?:\/\//.test(l.href))?.href as string | undefined;

    requirements.push({
      code,
      title: elementTitle,
      text: lines.length ? lines.join('\n').trim() : null,
      kind: requirementKind,
      assessable,
      parent,
      aliases: [...new Set(aliases)].filter((a) => a !== code),
      withdrawn,
      examples,
      ...(url ? { url } : {}),
      attributes,
      at: { path },
    });

    // document order: OSCAL puts groups before controls in a group and controls first in a catalog
    for (const key of Object.keys(element)) {
      if (key !== 'groups' && key !== 'controls') continue;
      if (key === 'groups' && !isGroup) importFault('A control cannot contain groups', { path: childPath(path, 'groups') });
      array(element[key], childPath(path, key)).forEach((child, i) => {
        const at = childPath(childPath(path, key), i);
        visit(object(child, at, key === 'groups' ? 'A group' : 'A control'), at, key === 'groups', code);
      });
    }
  };

  for (const key of Object.keys(catalog)) {
    if (key !== 'groups' && key !== 'controls') continue;
    array(catalog[key], childPath('catalog', key)).forEach((child, i) => {
      const at = childPath(childPath('catalog', key), i);
      visit(object(child, at, key === 'groups' ? 'A group' : 'A control'), at, key === 'groups', null);
    });
  }
  if (requirements.length === 0) importFault('The catalog has no groups or controls', { path: 'catalog' });

  return {
    title,
    version,
    oscalVersion,
    kind,
    publisher: partyWithRole(metadata, ['publisher', 'creator']),
    licence: metaProp('licence')?.value ?? null,
    sourceUrl: (canonical?.href as string | undefined) ?? null,
    attribution: metaProp('attribution')?.value ?? null,
    requirements,
  };
}

/** Name of the first party holding one of the roles, in the order given. */
function partyWithRole(metadata: Record<string, unknown>, roles: string[]): string | null {
  const parties = (Array.isArray(metadata.parties) ? metadata.parties : []).filter(isObject);
  const responsible = (Array.isArray(metadata['responsible-parties']) ? metadata['responsible-parties'] : []).filter(isObject);
  for (const role of roles) {
    const entry = responsible.find((r) => r['role-id'] === role);
    const uuids = Array.isArray(entry?.['party-uuids']) ? entry['party-uuids'] : [];
    const party = parties.find((p) => uuids.includes(p.uuid) && typeof p.name === 'string' && p.name.trim());
    if (party) return (party.name as string).trim();
  }
  return null;
}
