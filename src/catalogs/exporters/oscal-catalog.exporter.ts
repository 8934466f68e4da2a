import { createHash } from 'node:crypto';
import type { Framework } from '../../modules/framework/framework.entity';
import { RequirementKind, type RequirementAttributeValues } from '../../modules/framework/requirement.entity';
import { ATTRIBUTES } from '../importers/attributes';
import { ISMS_OSCAL_NS } from '../importers/oscal-catalog.importer';

export const OSCAL_VERSION = '1.1.2';

/** What the exporter needs of a requirement. */
export interface ExportedRequirement {
  id: string;
  code: string;
  title: string;
  text: string | null;
  kind: RequirementKind;
  assessable: boolean;
  parentId: string | null;
  position: number;
  aliases: string[];
  withdrawn: boolean;
  examples: string[];
  url: string | null;
  attributeValues: RequirementAttributeValues;
}

type Json = Record<string, unknown>;

/** OSCAL `token`: what a control or group id must look like. */
const TOKEN = /^[\p{L}_][\p{L}\p{N}._-]*$/u;

/** Kinds that are never an OSCAL group, even when not assessable (a withdrawn control stays a control). */
const CONTROL_KINDS = new Set<RequirementKind>([RequirementKind.CONTROL, RequirementKind.SUBCATEGORY, RequirementKind.RISK]);

/** A name-based UUID (version 5 layout) so an export of the same data is byte-identical. */
function uuidOf(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const prop = (name: string, value: string, ns?: string): Json => (ns ? { name, ns, value } : { name, value });

/**
 * An OSCAL 1.1 catalog of a framework version: requirements nested as groups and controls in
 * catalog order (a requirement is a group when it is not assessable, not a control-like kind and
 * not below a control), `label` prop = code, withdrawn as `status` prop, text as the statement.
 * isms-graph's own props (namespace ISMS_OSCAL_NS) carry kind, assessable, aliases and ISO/IEC
 * 27002 attributes, so that `importOscalCatalog` of the export gives the same rows.
 */
export function toOscalCatalog(framework: Framework, requirements: ExportedRequirement[]): Json {
  const byId = new Map(requirements.map((r) => [r.id, r]));
  const children = new Map<string | null, ExportedRequirement[]>();
  for (const r of [...requirements].sort((a, b) => a.position - b.position || a.code.localeCompare(b.code))) {
    const parent = r.parentId && byId.has(r.parentId) ? r.parentId : null;
    const list = children.get(parent) ?? [];
    list.push(r);
    children.set(parent, list);
  }

  // ids: the first alias when it is a usable OSCAL id (an imported catalog's own id), else made from the code
  const taken = new Set<string>();
  const ids = new Map<string, { id: string; generated: boolean }>();
  for (const r of requirements) {
    const alias = r.aliases[0];
    if (alias && TOKEN.test(alias) && !taken.has(alias)) {
      ids.set(r.id, { id: alias, generated: false });
      taken.add(alias);
    }
  }
  for (const r of requirements) {
    if (ids.has(r.id)) continue;
    let base = r.code.toLowerCase().replace(/[^\p{L}\p{N}._-]+/gu, '-');
    if (!TOKEN.test(base)) base = `r-${base}`;
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    ids.set(r.id, { id, generated: true });
    taken.add(id);
  }

  const node = (r: ExportedRequirement, isGroup: boolean): Json => {
    const { id, generated } = ids.get(r.id)!;
    const props: Json[] = [prop('label', r.code)];
    if (r.withdrawn) props.push(prop('status', 'withdrawn'));
    props.push(prop('requirement-kind', r.kind, ISMS_OSCAL_NS), prop('assessable', String(r.assessable), ISMS_OSCAL_NS));
    if (generated) props.push(prop('id-generated', 'true', ISMS_OSCAL_NS));
    for (const alias of generated ? r.aliases : r.aliases.slice(1)) props.push(prop('alias', alias, ISMS_OSCAL_NS));
    for (const a of ATTRIBUTES) for (const value of r.attributeValues?.[a.name] ?? []) props.push(prop(a.prop, value, ISMS_OSCAL_NS));
    const out: Json = { id, title: r.title, props };
    if (r.url) out.links = [{ href: r.url, rel: 'alternate' }];
    const parts: Json[] = [];
    if (r.text) parts.push({ id: `${id}_smt`, name: 'statement', prose: r.text });
    r.examples.forEach((example, i) => parts.push({ id: `${id}_ex.${i + 1}`, name: 'example', prose: example }));
    if (parts.length) out.parts = parts;
    Object.assign(out, nest(r.id, isGroup));
    return out;
  };

  const isGroupUnder = (r: ExportedRequirement, parentIsGroup: boolean) => parentIsGroup && !r.assessable && !CONTROL_KINDS.has(r.kind);

  /** Child groups and controls of a parent; the key of the first child comes first so its order survives. */
  const nest = (parentId: string | null, parentIsGroup: boolean): Json => {
    const list = children.get(parentId) ?? [];
    const groups: Json[] = [];
    const controls: Json[] = [];
    let first: 'groups' | 'controls' | null = null;
    for (const r of list) {
      const group = isGroupUnder(r, parentIsGroup);
      first ??= group ? 'groups' : 'controls';
      (group ? groups : controls).push(node(r, group));
    }
    const out: Json = {};
    for (const key of first === 'groups' ? (['groups', 'controls'] as const) : (['controls', 'groups'] as const)) {
      const items = key === 'groups' ? groups : controls;
      if (items.length) out[key] = items;
    }
    return out;
  };

  const metadataProps: Json[] = [prop('framework-key', framework.key, ISMS_OSCAL_NS), prop('framework-kind', framework.kind, ISMS_OSCAL_NS)];
  if (framework.licence) metadataProps.push(prop('licence', framework.licence, ISMS_OSCAL_NS));
  if (framework.attribution) metadataProps.push(prop('attribution', framework.attribution, ISMS_OSCAL_NS));
  const metadata: Json = {
    title: framework.name,
    'last-modified': new Date(framework.updatedAt).toISOString(),
    version: framework.version,
    'oscal-version': OSCAL_VERSION,
    props: metadataProps,
  };
  if (framework.sourceUrl) metadata.links = [{ href: framework.sourceUrl, rel: 'canonical' }];
  if (framework.publisher) {
    const party = uuidOf(`${framework.id}:publisher`);
    metadata.roles = [{ id: 'publisher', title: 'Publisher' }];
    metadata.parties = [{ uuid: party, type: 'organization', name: framework.publisher }];
    metadata['responsible-parties'] = [{ 'role-id': 'publisher', 'party-uuids': [party] }];
  }
  return { catalog: { uuid: framework.id, metadata, ...nest(null, true) } };
}
