import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DateResolver } from 'graphql-scalars';
import { RiskLevel, RiskStatus, RiskTreatment } from '../risk/risk.entity';
import { CoverageCounts, CoveragePercentages, CoverageStatus } from '../coverage/coverage.types';

@ObjectType({ simpleResolvers: true, description: 'One cell of a likelihood × impact heat map.' })
export class HeatMapCell {
  @Field(() => Int, { description: 'Likelihood 1-5.' }) likelihood!: number;
  @Field(() => Int, { description: 'Impact 1-5.' }) impact!: number;
  @Field(() => Int, { description: 'Risks in this cell.' }) count!: number;
}

@ObjectType({ simpleResolvers: true, description: 'Risks at one level.' })
export class RiskLevelCount {
  @Field(() => RiskLevel, { description: 'The level.' }) level!: RiskLevel;
  @Field(() => Int, { description: 'Risks at this level.' }) count!: number;
}

@ObjectType({ simpleResolvers: true, description: 'Risks with one treatment.' })
export class RiskTreatmentCount {
  @Field(() => RiskTreatment, { description: 'The treatment.' }) treatment!: RiskTreatment;
  @Field(() => Int, { description: 'Risks with this treatment.' }) count!: number;
}

@ObjectType({ simpleResolvers: true, description: 'Risks in one status.' })
export class RiskStatusCount {
  @Field(() => RiskStatus, { description: 'The status.' }) status!: RiskStatus;
  @Field(() => Int, { description: 'Risks in this status.' }) count!: number;
}

@ObjectType({
  simpleResolvers: true,
  description: 'Risk register figures for a scope and its descendants (or every scope), counting only active records the key may see.',
})
export class RiskMetrics {
  @Field(() => ID, { nullable: true, description: 'The scope asked for (its descendants included); null for every scope the key may see.' })
  scopeId!: string | null;

  @Field(() => Date, { description: 'When the figures were computed (database time).' })
  asOf!: Date;

  @Field(() => Int, { description: 'Active risks.' })
  totalRisks!: number;

  @Field(() => [HeatMapCell], { description: 'Active risks per inherent likelihood × impact: all 25 cells, zeros included, by likelihood then impact.' })
  inherentHeatMap!: HeatMapCell[];

  @Field(() => [HeatMapCell], { description: 'Active risks per residual likelihood × impact: all 25 cells, zeros included, by likelihood then impact.' })
  residualHeatMap!: HeatMapCell[];

  @Field(() => [RiskLevelCount], { description: 'Active risks per inherent level, every level listed, LOW to CRITICAL.' })
  inherentByLevel!: RiskLevelCount[];

  @Field(() => [RiskLevelCount], { description: 'Active risks per residual level, every level listed, LOW to CRITICAL.' })
  residualByLevel!: RiskLevelCount[];

  @Field(() => [RiskTreatmentCount], { description: 'Active risks per treatment, every treatment listed.' })
  byTreatment!: RiskTreatmentCount[];

  @Field(() => [RiskStatusCount], { description: 'Active risks per status, every status listed.' })
  byStatus!: RiskStatusCount[];

  @Field(() => Int, { description: 'Active treatment tasks of these risks that are OPEN or IN_PROGRESS with a due date before today (UTC).' })
  overdueTreatmentTasks!: number;

  @Field(() => Int, { description: 'Risk acceptances in force: APPROVED and not past expiresAt.' })
  activeRiskAcceptances!: number;

  @Field(() => Int, { description: 'Risk acceptances in force whose risk\'s residual score has risen above the accepted one.' })
  staleRiskAcceptances!: number;

  @Field(() => Int, { description: 'Exceptions of either kind in force (APPROVED, not yet expired) that expire within `expiringWithinDays` days.' })
  exceptionsExpiringSoon!: number;

  @Field(() => Int, { description: 'The window of `exceptionsExpiringSoon`, in days (30).' })
  expiringWithinDays!: number;
}

@ObjectType({ simpleResolvers: true, description: 'Coverage of one framework version in one scope on one UTC day, as computed when it was taken.' })
export class CoverageSnapshot {
  @Field(() => ID, { description: 'Snapshot id (kept when the day\'s snapshot is retaken).' }) id!: string;
  @Field(() => DateResolver, { description: 'The UTC day.' }) day!: string;
  @Field(() => Date, { description: 'When it was computed; a later snapshot the same day replaces it.' }) takenAt!: Date;
  @Field(() => ID, { description: 'Scope id.' }) scopeId!: string;
  @Field(() => ID, { description: 'Framework version id.' }) frameworkId!: string;
  @Field(() => CoverageCounts, { description: 'Counts per status.' }) counts!: CoverageCounts;
  @Field(() => CoveragePercentages, { description: 'Percentages over the assessable requirements minus EXCLUDED.' }) percentages!: CoveragePercentages;
}

@ObjectType({ simpleResolvers: true, description: 'One scope × adopted framework × assessable requirement with its live coverage status: a flat row for BI tools.' })
export class CoverageFlatRow {
  @Field(() => ID, { description: 'Scope id.' }) scopeId!: string;
  @Field({ description: 'Scope key.' }) scopeKey!: string;
  @Field(() => ID, { description: 'Framework version id.' }) frameworkId!: string;
  @Field({ description: 'Framework key.' }) frameworkKey!: string;
  @Field({ description: 'Framework version.' }) frameworkVersion!: string;
  @Field(() => ID, { description: 'Requirement id.' }) requirementId!: string;
  @Field({ description: 'Requirement code, e.g. `A.5.1` or `GV.OC-01`.' }) requirementCode!: string;
  @Field({ description: 'Requirement title.' }) requirementTitle!: string;
  @Field(() => CoverageStatus, { description: 'Coverage status (README "Coverage").' }) status!: CoverageStatus;
  @Field(() => String, { nullable: true, description: 'Code of the top-level group (ISO clause or Annex A theme, CSF function); null for a requirement without parent.' })
  groupCode!: string | null;
  @Field(() => String, { nullable: true, description: 'Title of the top-level group.' })
  groupTitle!: string | null;
}
