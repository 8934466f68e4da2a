import type { MappingDraft } from '../catalog-writer';
import { parseCsvTable } from './csv';
import { importFault } from './document';
import { checkRepeats, rationaleAt, relationshipAt, strengthAt } from './mapping-rows';

/**
 * Canonical columns of a mappings CSV, in the order the export writes them, with the other
 * header names accepted for each. When the header names neither a source nor a target column,
 * the first two columns are the source and target codes (as in the NIST OLIR derived files,
 * e.g. `sp800_53r5_control,iso27001_2022_id,relationship`). Other columns are ignored.
 */
export const MAPPING_COLUMNS = {
  source: ['source', 'source_code', 'source_id', 'source_requirement', 'source_ref_id'],
  target: ['target', 'target_code', 'target_id', 'target_requirement', 'target_ref_id'],
  relationship: ['relationship', 'relation', 'relationship_type'],
  rationale: ['rationale'],
  strength: ['strength', 'strength_of_relationship'],
  notes: ['notes', 'note', 'comment', 'comments', 'annotation'],
} as const;

export const normalColumn = (name: string) => name.trim().toLowerCase().replace(/[\s-]+/g, '_');

export interface MappingsCsv {
  drafts: MappingDraft[];
  ignoredColumns: string[];
}

/** Reads a mappings CSV; every fault is BAD_USER_INPUT naming its line (header = line 1). */
export function parseMappingsCsv(document: string): MappingsCsv {
  const table = parseCsvTable(document);
  const columns = table.columns.map(normalColumn);
  const find = (names: readonly string[]) => columns.findIndex((c) => names.includes(c));
  let source = find(MAPPING_COLUMNS.source);
  let target = find(MAPPING_COLUMNS.target);
  const relationship = find(MAPPING_COLUMNS.relationship);
  const rationale = find(MAPPING_COLUMNS.rationale);
  const strength = find(MAPPING_COLUMNS.strength);
  const notes = find(MAPPING_COLUMNS.notes);
  if (source < 0 && target < 0) {
    source = 0;
    target = 1;
  }
  if (source < 0 || target < 0) importFault(`The header names a ${source < 0 ? 'target' : 'source'} column but no ${source < 0 ? 'source' : 'target'} column`, { line: 1 });
  if (columns.length < 2 || source === target || [relationship, rationale, strength, notes].some((c) => c === source || c === target)) {
    importFault('The header needs a source and a target column (source,target,relationship,rationale,strength,notes)', { line: 1 });
  }
  if (relationship < 0) importFault('The header has no relationship column (source,target,relationship,rationale,strength,notes)', { line: 1 });
  const used = new Set([source, target, relationship, rationale, strength, notes]);

  const drafts = table.records.map((record): MappingDraft => {
    const cell = (i: number) => (i >= 0 ? (record.fields[i] ?? '') : '');
    const at = { line: record.line };
    const sourceCode = cell(source).trim();
    const targetCode = cell(target).trim();
    if (!sourceCode) importFault(`Line ${record.line} has no source code`, at);
    if (!targetCode) importFault(`Line ${record.line} has no target code`, at);
    const note = cell(notes);
    return {
      source: sourceCode,
      target: targetCode,
      relationship: relationshipAt(cell(relationship), at),
      rationale: rationaleAt(cell(rationale), at),
      strength: strengthAt(cell(strength), at),
      notes: note.trim() ? note : null,
      at,
    };
  });
  checkRepeats(drafts);
  return { drafts, ignoredColumns: table.columns.filter((c, i) => c && !used.has(i)) };
}
