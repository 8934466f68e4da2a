import { Field, ObjectType, registerEnumType } from 'type-graphql';

/** ISO/IEC 27002:2022 attribute vocabularies (values per control come from the user's licensed copy, by CSV). */
export enum ControlType { Preventive = 'Preventive', Detective = 'Detective', Corrective = 'Corrective' }
export enum SecurityProperty { Confidentiality = 'Confidentiality', Integrity = 'Integrity', Availability = 'Availability' }
export enum CybersecurityConcept { Identify = 'Identify', Protect = 'Protect', Detect = 'Detect', Respond = 'Respond', Recover = 'Recover' }
export enum OperationalCapability {
  Governance = 'Governance',
  Asset_management = 'Asset_management',
  Information_protection = 'Information_protection',
  Human_resource_security = 'Human_resource_security',
  Physical_security = 'Physical_security',
  System_and_network_security = 'System_and_network_security',
  Application_security = 'Application_security',
  Secure_configuration = 'Secure_configuration',
  Identity_and_access_management = 'Identity_and_access_management',
  Threat_and_vulnerability_management = 'Threat_and_vulnerability_management',
  Continuity = 'Continuity',
  Supplier_relationships_security = 'Supplier_relationships_security',
  Legal_and_compliance = 'Legal_and_compliance',
  Information_security_event_management = 'Information_security_event_management',
  Information_security_assurance = 'Information_security_assurance',
}
export enum SecurityDomain {
  Governance_and_Ecosystem = 'Governance_and_Ecosystem',
  Protection = 'Protection',
  Defence = 'Defence',
  Resilience = 'Resilience',
}
registerEnumType(ControlType, { name: 'ControlType', description: 'ISO/IEC 27002:2022 attribute: control type.' });
registerEnumType(SecurityProperty, { name: 'SecurityProperty', description: 'ISO/IEC 27002:2022 attribute: information security property.' });
registerEnumType(CybersecurityConcept, { name: 'CybersecurityConcept', description: 'ISO/IEC 27002:2022 attribute: cybersecurity concept.' });
registerEnumType(OperationalCapability, { name: 'OperationalCapability', description: 'ISO/IEC 27002:2022 attribute: operational capability.' });
registerEnumType(SecurityDomain, { name: 'SecurityDomain', description: 'ISO/IEC 27002:2022 attribute: security domain.' });

/** The vocabulary of each attribute, for importers to check values against. */
export const ATTRIBUTE_VOCABULARY = {
  controlType: Object.values(ControlType),
  securityProperties: Object.values(SecurityProperty),
  cybersecurityConcepts: Object.values(CybersecurityConcept),
  operationalCapabilities: Object.values(OperationalCapability),
  securityDomains: Object.values(SecurityDomain),
} as const;

@ObjectType({ simpleResolvers: true, description: 'ISO/IEC 27002:2022 attributes of a control (empty where not imported).' })
export class RequirementAttributes {
  @Field(() => [ControlType], { description: 'Control type.' })
  controlType!: ControlType[];

  @Field(() => [SecurityProperty], { description: 'Information security properties.' })
  securityProperties!: SecurityProperty[];

  @Field(() => [CybersecurityConcept], { description: 'Cybersecurity concepts.' })
  cybersecurityConcepts!: CybersecurityConcept[];

  @Field(() => [OperationalCapability], { description: 'Operational capabilities.' })
  operationalCapabilities!: OperationalCapability[];

  @Field(() => [SecurityDomain], { description: 'Security domains.' })
  securityDomains!: SecurityDomain[];
}
