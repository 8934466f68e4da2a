import { stringify } from 'yaml';
import type { Crosswalk } from '../../modules/crosswalk/crosswalk.entity';
import { Relationship } from '../../modules/crosswalk/crosswalk.entity';
import { toCsv } from '../importers/csv';

/** One mapping as the exporters write it: codes instead of ids. */
export interface ExportedMapping {
  sourceCode: string;
  targetCode: string;
  relationship: Relationship;
  rationale: string | null;
  strength: number | null;
  notes: string | null;
}

export interface ExportedCrosswalk {
  crosswalk: Crosswalk;
  sourceFramework: { key: string; version: string; name: string };
  targetFramework: { key: string; version: string; name: string };
  mappings: ExportedMapping[];
}

/** The canonical mappings CSV: `source,target,relationship,rationale,strength,notes`. */
export function toMappingsCsv(data: ExportedCrosswalk): string {
  return toCsv([
    ['source', 'target', 'relationship', 'rationale', 'strength', 'notes'],
    ...data.mappings.map((m) => [m.sourceCode, m.targetCode, m.relationship, m.rationale, m.strength, m.notes]),
  ]);
}

/** CISO Assistant's spelling of each relationship. */
const CISO_RELATIONSHIP: Record<Relationship, string> = {
  [Relationship.EQUAL]: 'equal',
  [Relationship.SUBSET_OF]: 'subset',
  [Relationship.SUPERSET_OF]: 'superset',
  [Relationship.INTERSECTS_WITH]: 'intersect',
  [Relationship.NOT_RELATED]: 'not_related',
};

const frameworkUrn = (key: string) => `urn:intuitem:risk:framework:${key}`;
const nodeUrn = (key: string, code: string) => `urn:intuitem:risk:req_node:${key}:${code.toLowerCase()}`;

/**
 * A single-set CISO Assistant mapping library. Frameworks and requirement nodes are named the way
 * CISO Assistant names its own libraries (`urn:intuitem:risk:req_node:<framework key>:<code
 * lower-case>`), so the file resolves there when the keys agree and here through the codes.
 */
export function toCisoAssistantYaml(data: ExportedCrosswalk): string {
  const { crosswalk, sourceFramework, targetFramework } = data;
  const description = `${crosswalk.name} (${sourceFramework.key} ${sourceFramework.version} → ${targetFramework.key} ${targetFramework.version}). Provenance: ${crosswalk.source}`;
  const library = {
    urn: `urn:isms-graph:risk:library:${crosswalk.key}`,
    locale: 'en',
    ref_id: crosswalk.key,
    name: crosswalk.name,
    description,
    copyright: crosswalk.source,
    version: crosswalk.version,
    publication_date: new Date(crosswalk.updatedAt).toISOString().slice(0, 10),
    provider: 'isms-graph',
    packager: 'isms-graph',
    dependencies: [`urn:intuitem:risk:library:${sourceFramework.key}`, `urn:intuitem:risk:library:${targetFramework.key}`],
    objects: {
      requirement_mapping_set: {
        urn: `urn:isms-graph:risk:req_mapping_set:${crosswalk.key}`,
        ref_id: crosswalk.key,
        name: crosswalk.name,
        description,
        source_framework_urn: frameworkUrn(sourceFramework.key),
        target_framework_urn: frameworkUrn(targetFramework.key),
        requirement_mappings: data.mappings.map((m) => {
          const row: Record<string, unknown> = {
            source_requirement_urn: nodeUrn(sourceFramework.key, m.sourceCode),
            target_requirement_urn: nodeUrn(targetFramework.key, m.targetCode),
            relationship: CISO_RELATIONSHIP[m.relationship],
            rationale: m.rationale ? m.rationale.toLowerCase() : null,
            strength_of_relationship: m.strength,
          };
          if (m.notes) row.annotation = m.notes;
          return row;
        }),
      },
    },
  };
  return stringify(library, { lineWidth: 0 });
}
