import { RequirementKind } from '../../modules/framework/requirement.entity';
import { ATTRIBUTE_VOCABULARY } from '../../modules/framework/requirement-attributes';
import { ATTRIBUTES, attributeValue, orderedValues, splitAttributeCell, type AttributeName } from './attributes';
import { parseCsvTable } from './csv';
import { importFault } from './document';
import { normalColumn } from './mappings-csv.importer';

/**
 * Canonical columns of a requirements CSV and the other header names accepted for each (header
 * names are compared lower-case, spaces and hyphens read as `_`). Columns not listed are ignored
 * and reported back.
 */
export const REQUIREMENT_COLUMNS = {
  code: ['code', 'ref_id'],
  title: ['title', 'name'],
  kind: ['kind'],
  parent: ['parent', 'parent_code'],
  assessable: ['assessable'],
  text: ['text', 'description'],
} as const;

/** Attribute columns, with the ISO/IEC 27002 table headings accepted too. */
const ATTRIBUTE_COLUMNS: Record<AttributeName, string[]> = {
  controlType: ['control_type', 'control_types'],
  securityProperties: ['security_properties', 'information_security_properties'],
  cybersecurityConcepts: ['cybersecurity_concepts'],
  operationalCapabilities: ['operational_capabilities'],
  securityDomains: ['security_domains'],
};

export type BaseColumn = keyof typeof REQUIREMENT_COLUMNS;

/** One data row; a field is undefined when its column is absent or its cell empty (attributes: absent only). */
export interface RequirementRow {
  line: number;
  code: string;
  title?: string;
  kind?: RequirementKind;
  parent?: string;
  assessable?: boolean;
  text?: string;
  /** Attribute columns present in the file: the values of this row (an empty cell clears). */
  attributes: Partial<Record<AttributeName, string[]>>;
}

export interface RequirementsCsv {
  /** Base columns present in the header. */
  columns: Set<BaseColumn>;
  attributeColumns: AttributeName[];
  rows: RequirementRow[];
  ignoredColumns: string[];
}

const TRUE = new Set(['true', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'no', 'n', '0']);

/** Reads a requirements CSV; every fault is BAD_USER_INPUT naming its line (header = line 1). */
export function parseRequirementsCsv(document: string): RequirementsCsv {
  const table = parseCsvTable(document);
  const columns = table.columns.map(normalColumn);
  const index = new Map<string, number>();
  const used = new Set<number>();
  for (const [name, names] of Object.entries(REQUIREMENT_COLUMNS)) {
    const i = columns.findIndex((c) => (names as readonly string[]).includes(c));
    if (i >= 0) {
      index.set(name, i);
      used.add(i);
    }
  }
  const attributeIndex = new Map<AttributeName, number>();
  for (const a of ATTRIBUTES) {
    const i = columns.findIndex((c) => ATTRIBUTE_COLUMNS[a.name].includes(c));
    if (i >= 0) {
      attributeIndex.set(a.name, i);
      used.add(i);
    }
  }
  if (!index.has('code')) importFault('The header has no code column (code,title,kind,parent,assessable,text and the attribute columns)', { line: 1 });

  const seen = new Map<string, number>();
  const rows = table.records.map((record): RequirementRow => {
    const at = { line: record.line };
    const cell = (name: string) => {
      const i = index.get(name);
      const value = i === undefined ? '' : (record.fields[i] ?? '');
      return value.trim() ? value.trim() : undefined;
    };
    const code = cell('code');
    if (!code) importFault(`Line ${record.line} has no code`, at);
    if (code.length > 64) importFault(`Code ${code.slice(0, 64)}… is longer than 64 characters`, at);
    // codes that differ only in case would make case-insensitive references (URNs, parents) ambiguous
    const first = seen.get(code.toLowerCase());
    if (first !== undefined) importFault(`Duplicate code ${code} (first on line ${first})`, at);
    seen.set(code.toLowerCase(), record.line);

    const row: RequirementRow = { line: record.line, code, attributes: {} };
    row.title = cell('title');
    if (row.title && row.title.length > 500) importFault(`The title of ${code} is longer than 500 characters`, at);
    row.parent = cell('parent');
    row.text = cell('text');
    const kind = cell('kind');
    if (kind !== undefined) {
      row.kind = (RequirementKind as Record<string, RequirementKind>)[kind.toUpperCase()];
      if (!row.kind) importFault(`"${kind}" is not a requirement kind; use one of ${Object.values(RequirementKind).join(', ')}`, at);
    }
    const assessable = cell('assessable')?.toLowerCase();
    if (assessable !== undefined) {
      if (!TRUE.has(assessable) && !FALSE.has(assessable)) importFault(`"${assessable}" is not true or false (assessable)`, at);
      row.assessable = TRUE.has(assessable);
    }
    for (const [name, i] of attributeIndex) {
      const values = splitAttributeCell(record.fields[i] ?? '').map((v) => {
        const value = attributeValue(name, v);
        if (!value) importFault(`"${v}" is not a ${table.columns[i]} value; use ${(ATTRIBUTE_VOCABULARY[name] as readonly string[]).join(', ')}`, at);
        return value;
      });
      row.attributes[name] = orderedValues(name, values);
    }
    return row;
  });
  return {
    columns: new Set([...index.keys()] as BaseColumn[]),
    attributeColumns: [...attributeIndex.keys()],
    rows,
    ignoredColumns: table.columns.filter((c, i) => c && !used.has(i)),
  };
}
