import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Relationship } from '../crosswalk/crosswalk.entity';
import { ChainStrength } from '../crosswalk/crosswalk.inputs';
import { Applicability } from '../soa/soa.entity';

export enum CoverageStatus {
  COVERED = 'COVERED',
  EXCLUDED = 'EXCLUDED',
  EXCEPTED = 'EXCEPTED',
  PARTIAL = 'PARTIAL',
  NOT_COVERED = 'NOT_COVERED',
}
registerEnumType(CoverageStatus, {
  name: 'CoverageStatus',
  description: 'How far a requirement is met in a scope; the first matching rule wins (README "Coverage").',
  valuesConfig: {
    EXCLUDED: { description: 'The SoA marks it NOT_APPLICABLE.' },
    COVERED: { description: 'An IMPLEMENTED control of the scope implements it, a FULL chain of approved mappings reaches it from such a requirement, or the SoA marks it INHERITED.' },
    EXCEPTED: { description: 'An approved, unexpired control exception of the scope names it or a control implementing it.' },
    PARTIAL: { description: 'A PLANNED or IN_PROGRESS control of the scope implements it, or a PARTIAL chain reaches it from a directly covered requirement.' },
    NOT_COVERED: { description: 'None of the above.' },
  },
});

/** One computed row of coverage, as the SQL returns it (ids only; nested objects load through DataLoaders). */
export interface CoverageRow {
  requirementId: string;
  code: string;
  title: string;
  status: CoverageStatus;
  applicability: Applicability;
  /** The SoA entry's justification, when there is an entry. */
  soaJustification: string | null;
  /** Active controls of the scope implementing the requirement directly, with their status. */
  controls: Array<{ id: string; status: string }>;
  chain: { fromRequirementId: string; strength: ChainStrength; hops: number; mappingIds: string[]; relationships: Relationship[] } | null;
  exceptionId: string | null;
  /** Ancestor requirements (theme, clause, function, category…). */
  groupIds: string[];
}

@ObjectType({ simpleResolvers: true, description: 'Counts of requirements per coverage status.' })
export class CoverageCounts {
  @Field(() => Int, { description: 'Assessable requirements in all.' }) total!: number;
  @Field(() => Int, { description: 'COVERED.' }) covered!: number;
  @Field(() => Int, { description: 'EXCLUDED (not applicable).' }) excluded!: number;
  @Field(() => Int, { description: 'EXCEPTED.' }) excepted!: number;
  @Field(() => Int, { description: 'PARTIAL.' }) partial!: number;
  @Field(() => Int, { description: 'NOT_COVERED.' }) notCovered!: number;
}

@ObjectType({ simpleResolvers: true, description: 'Percentages per status over the assessable requirements minus EXCLUDED (0 when none remain).' })
export class CoveragePercentages {
  @Field(() => Float, { description: 'COVERED %.' }) covered!: number;
  @Field(() => Float, { description: 'EXCEPTED %.' }) excepted!: number;
  @Field(() => Float, { description: 'PARTIAL %.' }) partial!: number;
  @Field(() => Float, { description: 'NOT_COVERED %.' }) notCovered!: number;
}

@ObjectType({ simpleResolvers: true, description: 'The mapping chain that carries coverage to a requirement.' })
export class CoverageChain {
  @Field(() => ID, { description: 'The directly covered requirement the chain starts at.' }) fromRequirementId!: string;
  @Field(() => ChainStrength, { description: 'FULL or PARTIAL.' }) strength!: ChainStrength;
  @Field(() => Int, { description: 'Mappings walked (1-3).' }) hops!: number;
  @Field(() => [ID], { description: 'Ids of the mappings walked, from the covered requirement.' }) mappingIds!: string[];
  @Field(() => [Relationship], { description: 'Relationship of each hop, read from the covered side.' }) relationships!: Relationship[];
}
