import { ATTRIBUTE_VOCABULARY } from '../../modules/framework/requirement-attributes';
import type { RequirementAttributeValues } from '../../modules/framework/requirement.entity';

export type AttributeName = keyof typeof ATTRIBUTE_VOCABULARY;

/** CSV column of each ISO/IEC 27002 attribute, and its singular name as an OSCAL prop. */
export const ATTRIBUTES: ReadonlyArray<{ name: AttributeName; column: string; prop: string }> = [
  { name: 'controlType', column: 'control_type', prop: 'control-type' },
  { name: 'securityProperties', column: 'security_properties', prop: 'security-property' },
  { name: 'cybersecurityConcepts', column: 'cybersecurity_concepts', prop: 'cybersecurity-concept' },
  { name: 'operationalCapabilities', column: 'operational_capabilities', prop: 'operational-capability' },
  { name: 'securityDomains', column: 'security_domains', prop: 'security-domain' },
];

const normal = (text: string) => text.trim().replace(/^#/, '').replace(/[\s-]+/g, '_').toLowerCase();

const LOOKUP = new Map<AttributeName, Map<string, string>>(
  ATTRIBUTES.map(({ name }) => [name, new Map((ATTRIBUTE_VOCABULARY[name] as readonly string[]).map((v) => [normal(v), v]))]),
);

/** The vocabulary value a spelling means (`Preventive`, `#Preventive`, `asset management`…), or undefined. */
export function attributeValue(name: AttributeName, text: string): string | undefined {
  return LOOKUP.get(name)!.get(normal(text));
}

/**
 * Splits a cell into values: separated by `;` or `|`, or written as ISO/IEC 27002 hashtags
 * (`#Confidentiality #Integrity`). Empty pieces are dropped.
 */
export function splitAttributeCell(cell: string): string[] {
  return cell
    .split(/[;|]/)
    .flatMap((piece) => (/^\s*#/.test(piece) ? piece.split(/\s+(?=#)/) : [piece]))
    .map((piece) => piece.trim())
    .filter(Boolean);
}

/** The same values in vocabulary order, without repeats (so imports and exports compare equal). */
export function orderedValues(name: AttributeName, values: string[]): string[] {
  const set = new Set(values);
  return (ATTRIBUTE_VOCABULARY[name] as readonly string[]).filter((v) => set.has(v));
}

export type AttributeValues = RequirementAttributeValues;
