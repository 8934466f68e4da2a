import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ControlStatus } from '../control/control.entity';
import { CoverageStatus } from '../coverage/coverage.types';
import { EvidenceFreshness } from '../evidence/evidence.inputs';
import type { Scope } from '../scope/scope.entity';
import { Applicability, InclusionDriver } from './soa.entity';

export enum SoaImplementationStatus {
  IMPLEMENTED = 'IMPLEMENTED',
  PARTIALLY_IMPLEMENTED = 'PARTIALLY_IMPLEMENTED',
  PLANNED = 'PLANNED',
  NOT_IMPLEMENTED = 'NOT_IMPLEMENTED',
  NOT_APPLICABLE = 'NOT_APPLICABLE',
}
registerEnumType(SoaImplementationStatus, {
  name: 'SoaImplementationStatus',
  description: 'Implementation status of a SoA row, derived from the scope\'s controls and coverage (never stored except in approved versions). '
    + 'The first rule that matches gives it: NOT_APPLICABLE, IMPLEMENTED, PARTIALLY_IMPLEMENTED, PLANNED, NOT_IMPLEMENTED. '
    + 'A PARTIAL chain of mappings alone implements nothing here: it shows as coverageStatus PARTIAL.',
  valuesConfig: {
    NOT_APPLICABLE: { description: 'The SoA marks the requirement NOT_APPLICABLE (coverage EXCLUDED).' },
    IMPLEMENTED: { description: 'Coverage is COVERED: an IMPLEMENTED control of the scope implements it, a FULL chain of approved mappings reaches it from a requirement such a control implements, or the SoA marks it INHERITED (a supplier or parent scope provides it).' },
    PARTIALLY_IMPLEMENTED: { description: 'Not COVERED, and an IN_PROGRESS control of the scope implements it.' },
    PLANNED: { description: 'Not COVERED, and only PLANNED controls of the scope implement it.' },
    NOT_IMPLEMENTED: { description: 'None of the above: no active control of the scope implements it (an approved exception implements nothing: coverageStatus then reads EXCEPTED; a PARTIAL chain neither: coverageStatus PARTIAL).' },
  },
});

export enum SoaField {
  APPLICABILITY = 'APPLICABILITY',
  JUSTIFICATION = 'JUSTIFICATION',
  DRIVERS = 'DRIVERS',
  IMPLEMENTATION_STATUS = 'IMPLEMENTATION_STATUS',
  CONTROLS = 'CONTROLS',
  EVIDENCE_FRESHNESS = 'EVIDENCE_FRESHNESS',
  COVERAGE_STATUS = 'COVERAGE_STATUS',
}
registerEnumType(SoaField, { name: 'SoaField', description: 'A column of a SoA row that a diff compares.' });

/** A control implementing a SoA row, as frozen: code and status at the time. */
export interface SoaControlRef {
  id: string;
  code: string;
  status: ControlStatus;
}

/** One SoA row: what approved versions freeze (soa_version.rows) and what the live state computes. */
export interface SoaRowSnapshot {
  requirementId: string;
  frameworkId: string;
  frameworkKey: string;
  frameworkVersion: string;
  code: string;
  title: string;
  applicability: Applicability;
  justification: string | null;
  drivers: InclusionDriver[];
  /** Version of the scope's SoA entry for the requirement; null while UNDECIDED. */
  entryVersion: number | null;
  implementationStatus: SoaImplementationStatus;
  coverageStatus: CoverageStatus;
  evidenceFreshness: EvidenceFreshness;
  controls: SoaControlRef[];
}

/**
 * The derivation documented on SoaImplementationStatus, from a coverage row: its status and the
 * statuses of the scope's active controls implementing the requirement directly.
 */
export function implementationStatus(row: { applicability: Applicability; coverageStatus: CoverageStatus; controlStatuses: readonly string[] }): SoaImplementationStatus {
  if (row.applicability === Applicability.NOT_APPLICABLE || row.coverageStatus === CoverageStatus.EXCLUDED) return SoaImplementationStatus.NOT_APPLICABLE;
  if (row.coverageStatus === CoverageStatus.COVERED) return SoaImplementationStatus.IMPLEMENTED;
  if (row.controlStatuses.includes(ControlStatus.IN_PROGRESS)) return SoaImplementationStatus.PARTIALLY_IMPLEMENTED;
  if (row.controlStatuses.includes(ControlStatus.PLANNED)) return SoaImplementationStatus.PLANNED;
  return SoaImplementationStatus.NOT_IMPLEMENTED;
}

@ObjectType({ simpleResolvers: true, description: 'One row of a Statement of Applicability: a CONTROL requirement of an adopted framework, the scope\'s decision on it and its derived status.' })
export class SoaRow implements Omit<SoaRowSnapshot, 'controls'> {
  @Field(() => ID, { description: 'Requirement id.' }) requirementId!: string;
  @Field(() => ID, { description: 'Framework id.' }) frameworkId!: string;
  @Field({ description: 'Framework key, e.g. `iso27001-2022`.' }) frameworkKey!: string;
  @Field({ description: 'Framework version.' }) frameworkVersion!: string;
  @Field({ description: 'Requirement code, e.g. `A.5.15`.' }) code!: string;
  @Field({ description: 'Requirement title.' }) title!: string;
  @Field(() => Applicability, { description: 'The scope\'s decision; UNDECIDED where nothing was set.' }) applicability!: Applicability;
  @Field(() => String, { nullable: true, description: 'Why the requirement is (not) applicable or inherited; required unless APPLICABLE.' }) justification!: string | null;
  @Field(() => [InclusionDriver], { description: 'Why the requirement is included.' }) drivers!: InclusionDriver[];
  @Field(() => Int, { nullable: true, description: 'Version of the SoA entry (null while UNDECIDED); pass it as `expectedVersion` to setApplicability.' }) entryVersion!: number | null;
  @Field(() => SoaImplementationStatus, { description: 'Implementation status derived from the scope\'s controls (see SoaImplementationStatus).' }) implementationStatus!: SoaImplementationStatus;
  @Field(() => CoverageStatus, { description: 'Coverage status of the requirement in the scope.' }) coverageStatus!: CoverageStatus;
  @Field(() => EvidenceFreshness, { description: 'Freshness of the active evidence of the implementing controls, taken together.' }) evidenceFreshness!: EvidenceFreshness;
  @Field(() => [String], { description: 'Codes of the implementing controls (the scope\'s active controls implementing it directly).' }) controlCodes!: string[];
  controlRefs!: SoaControlRef[];
}

@ObjectType({ simpleResolvers: true, description: 'A scope\'s Statement of Applicability: the current state, computed live, or an approved version, frozen.' })
export class StatementOfApplicability {
  @Field(() => Int, { nullable: true, description: 'Version number; null for the current (unapproved) state.' }) version!: number | null;
  @Field(() => Date, { nullable: true, description: 'When the version was approved; null for the current state.' }) approvedAt!: Date | null;
  @Field(() => [SoaRow], { description: 'The rows, by framework then catalog order.' }) rows!: SoaRow[];
  scope!: Scope;
  approverId!: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'One column of a row that differs between two states of a SoA.' })
export class SoaFieldChange {
  @Field(() => SoaField, { description: 'The column.' }) field!: SoaField;
  @Field(() => String, { nullable: true, description: 'Value before (lists joined with `; `).' }) before!: string | null;
  @Field(() => String, { nullable: true, description: 'Value after (lists joined with `; `).' }) after!: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'A requirement present in both states whose row differs.' })
export class SoaRowChange {
  @Field(() => ID, { description: 'Requirement id.' }) requirementId!: string;
  @Field({ description: 'Framework key.' }) frameworkKey!: string;
  @Field({ description: 'Requirement code.' }) code!: string;
  @Field({ description: 'Requirement title.' }) title!: string;
  @Field(() => [SoaField], { description: 'The columns that differ.' }) fields!: SoaField[];
  @Field(() => [SoaFieldChange], { description: 'Each differing column with its values before and after.' }) changes!: SoaFieldChange[];
  @Field(() => SoaRow, { description: 'The row before.' }) before!: SoaRow;
  @Field(() => SoaRow, { description: 'The row after.' }) after!: SoaRow;
}

@ObjectType({ simpleResolvers: true, description: 'What changed in a scope\'s SoA between an approved version and a later version or the current state.' })
export class SoaDiff {
  @Field(() => Int, { description: 'The version compared from.' }) from!: number;
  @Field(() => Int, { nullable: true, description: 'The version compared to; null for the current state.' }) to!: number | null;
  @Field(() => [SoaRowChange], { description: 'Rows in both whose columns differ.' }) changed!: SoaRowChange[];
  @Field(() => [SoaRow], { description: 'Rows only in `to` (a framework adopted, a requirement added).' }) added!: SoaRow[];
  @Field(() => [SoaRow], { description: 'Rows only in `from` (a framework dropped, a requirement withdrawn).' }) removed!: SoaRow[];
  scope!: Scope;
}
