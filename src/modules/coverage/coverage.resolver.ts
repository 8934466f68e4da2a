import { Arg, Authorized, Ctx, Field, FieldResolver, ID, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { Scope } from '../scope/scope.entity';
import { Framework } from '../framework/framework.entity';
import { Requirement } from '../framework/requirement.entity';
import { Control } from '../control/control.entity';
import { Mapping } from '../crosswalk/crosswalk.entity';
import { IsmsException } from '../exception/exception.entity';
import { Applicability } from '../soa/soa.entity';
import { CoverageChain, CoverageCounts, CoveragePercentages, CoverageStatus, type CoverageRow } from './coverage.types';
import { coverageService, percentages, type CoverageGroupCounts, type CoverageResult, type GapRow } from './coverage.service';

@ObjectType({ simpleResolvers: true, description: 'Coverage of one requirement in a scope, with why.' })
export class RequirementCoverage {
  @Field(() => ID, { description: 'Requirement id.' }) requirementId!: string;
  @Field({ description: 'Requirement code.' }) code!: string;
  @Field({ description: 'Requirement title.' }) title!: string;
  @Field(() => CoverageStatus, { description: 'Coverage status.' }) status!: CoverageStatus;
  @Field(() => Applicability, { description: 'The scope\'s SoA decision (UNDECIDED when none).' }) applicability!: Applicability;
  @Field(() => CoverageChain, { nullable: true, description: 'The best chain of approved mappings reaching it from a directly covered requirement (null when implemented directly or unreached).' })
  chain!: CoverageChain | null;
  controlRefs!: CoverageRow['controls'];
  exceptionId!: string | null;
  soaJustification!: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'Coverage counts of one group of the framework (ISO theme or clause, CSF function or category).' })
export class CoverageGroup {
  @Field(() => ID, { description: 'Group requirement id.' }) groupId!: string;
  @Field({ description: 'Group code, e.g. `A.5` or `GV.OC`.' }) code!: string;
  @Field({ description: 'Group title.' }) title!: string;
  @Field(() => CoverageCounts, { description: 'Counts of its assessable requirements.' }) counts!: CoverageCounts;
  @Field(() => CoveragePercentages, { description: 'Percentages (EXCLUDED left out).' }) percentages!: CoveragePercentages;
}

@ObjectType({ simpleResolvers: true, description: 'How far a scope meets a framework, computed from its controls, SoA, exceptions and approved crosswalks.' })
export class Coverage {
  @Field(() => Scope, { description: 'The scope.' }) scope!: Scope;
  @Field(() => Framework, { description: 'The framework version.' }) framework!: Framework;
  @Field(() => CoverageCounts, { description: 'Counts per status.' }) counts!: CoverageCounts;
  @Field(() => CoveragePercentages, { description: 'Percentages over the assessable requirements minus EXCLUDED.' }) percentages!: CoveragePercentages;
  @Field(() => [CoverageGroup], { description: 'Counts per group, in catalog order.' }) groups!: CoverageGroup[];
  rows!: RequirementCoverage[];
}

@ObjectType({ simpleResolvers: true, description: 'A control of the scope that would raise a gap if it were IMPLEMENTED.' })
export class GapCandidate {
  @Field(() => ID, { description: 'Control id.' }) controlId!: string;
  @Field(() => ID, { description: 'The requirement the control implements: the gap itself, or one mapped to it.' }) viaRequirementId!: string;
  @Field(() => ID, { nullable: true, description: 'The mapping from viaRequirement to the gap (null when direct).' }) mappingId!: string | null;
  @Field(() => CoverageStatus, { description: 'Status the gap would reach through this control.' }) wouldReach!: CoverageStatus;
}

@ObjectType({ simpleResolvers: true, description: 'A requirement not COVERED (nor EXCLUDED), with what would close it.' })
export class RequirementGap {
  @Field(() => ID, { description: 'Requirement id.' }) requirementId!: string;
  @Field({ description: 'Requirement code.' }) code!: string;
  @Field({ description: 'Requirement title.' }) title!: string;
  @Field(() => CoverageStatus, { description: 'Status now.' }) status!: CoverageStatus;
  @Field(() => CoverageStatus, { description: 'Status if every candidate control were IMPLEMENTED.' }) wouldReach!: CoverageStatus;
  @Field(() => [GapCandidate], { description: 'Controls of the scope (not IMPLEMENTED, not RETIRED) that implement it or a requirement mapped to it.' }) candidates!: GapCandidate[];
}

@ObjectType({ simpleResolvers: true, description: 'The gaps of a scope against a framework.' })
export class GapAssessment {
  @Field(() => Scope, { description: 'The scope.' }) scope!: Scope;
  @Field(() => Framework, { description: 'The framework version.' }) framework!: Framework;
  @Field(() => [RequirementGap], { description: 'Requirements not COVERED nor EXCLUDED, in catalog order.' }) gaps!: RequirementGap[];
}

function toCoverage(result: CoverageResult): Coverage {
  const group = (g: CoverageGroupCounts): CoverageGroup => ({ groupId: g.groupId, code: g.code, title: g.title, counts: g, percentages: percentages(g) });
  return {
    scope: result.scope,
    framework: result.framework,
    counts: result.counts,
    percentages: percentages(result.counts),
    groups: result.groups.map(group),
    rows: result.rows.map((r) => ({ requirementId: r.requirementId, code: r.code, title: r.title, status: r.status, applicability: r.applicability, chain: r.chain, controlRefs: r.controls, exceptionId: r.exceptionId, soaJustification: r.soaJustification })),
  };
}

@Resolver(() => Coverage)
export class CoverageResolver {
  @Authorized(Permission.ISMS_READ)
  @Query(() => Coverage, { description: 'Coverage of a framework (newest version unless frameworkVersion) in a scope.' })
  async coverage(
    @Ctx() ctx: Context,
    @Arg('scopeId', () => ID, { description: 'Scope id.' }) scopeId: string,
    @Arg('frameworkKey', { description: 'Framework key, e.g. `iso27001-2022` or `nist-csf-2.0`.' }) frameworkKey: string,
    @Arg('frameworkVersion', () => String, { nullable: true, description: 'Framework version.' }) frameworkVersion?: string,
  ): Promise<Coverage> {
    return toCoverage(await coverageService.coverage(ctx, scopeId, frameworkKey, frameworkVersion));
  }

  @Authorized(Permission.ISMS_READ)
  @Query(() => GapAssessment, { description: 'The requirements of a framework not COVERED in a scope, with candidate controls and the status they would bring.' })
  async gapAssessment(
    @Ctx() ctx: Context,
    @Arg('scopeId', () => ID, { description: 'Scope id.' }) scopeId: string,
    @Arg('frameworkKey', { description: 'Framework key.' }) frameworkKey: string,
    @Arg('frameworkVersion', () => String, { nullable: true, description: 'Framework version.' }) frameworkVersion?: string,
  ): Promise<GapAssessment> {
    const result = await coverageService.gaps(ctx, scopeId, frameworkKey, frameworkVersion);
    return { scope: result.scope, framework: result.framework, gaps: result.gaps as GapRow[] };
  }

  @FieldResolver(() => [RequirementCoverage], { description: 'Every assessable requirement with its status and explanation, in catalog order.' })
  requirements(
    @Root() coverage: Coverage,
    @Arg('status', () => [CoverageStatus], { nullable: true, description: 'Only these statuses.' }) status?: CoverageStatus[] | null,
  ): RequirementCoverage[] {
    return status?.length ? coverage.rows.filter((r) => status.includes(r.status)) : coverage.rows;
  }
}

@Resolver(() => RequirementCoverage)
export class RequirementCoverageResolver {
  @FieldResolver(() => Requirement, { description: 'The requirement.' })
  async requirement(@Root() row: RequirementCoverage, @Ctx() ctx: Context): Promise<Requirement> {
    return (await ctx.loaders.requirement.load(row.requirementId))!;
  }

  @FieldResolver(() => [Control], { description: 'Active controls of the scope implementing it directly (PLANNED, IN_PROGRESS or IMPLEMENTED).' })
  async controls(@Root() row: RequirementCoverage, @Ctx() ctx: Context): Promise<Control[]> {
    const controls = await ctx.loaders.control.loadMany(row.controlRefs.map((c) => c.id));
    return controls.filter((c): c is Control => !!c && !(c instanceof Error));
  }

  @FieldResolver(() => [Mapping], { description: 'The mappings of the chain, in walking order.' })
  async chainPath(@Root() row: RequirementCoverage, @Ctx() ctx: Context): Promise<Mapping[]> {
    if (!row.chain) return [];
    const mappings = await ctx.loaders.mapping.loadMany(row.chain.mappingIds);
    return mappings.filter((m): m is Mapping => !!m && !(m instanceof Error));
  }

  @FieldResolver(() => Requirement, { nullable: true, description: 'The directly covered requirement the chain starts at.' })
  chainFrom(@Root() row: RequirementCoverage, @Ctx() ctx: Context): Promise<Requirement | null> {
    return row.chain ? ctx.loaders.requirement.load(row.chain.fromRequirementId) : Promise.resolve(null);
  }

  @FieldResolver(() => IsmsException, { nullable: true, description: 'The approved control exception that excepts it.' })
  exception(@Root() row: RequirementCoverage, @Ctx() ctx: Context): Promise<IsmsException | null> {
    return row.exceptionId ? ctx.loaders.exception.load(row.exceptionId) : Promise.resolve(null);
  }

  @FieldResolver(() => String, { description: 'The explanation in words: which rule gave the status, with controls, chain, exception or SoA entry.' })
  async explanation(@Root() row: RequirementCoverage, @Ctx() ctx: Context): Promise<string> {
    const controls = (await ctx.loaders.control.loadMany(row.controlRefs.map((c) => c.id))).filter((c): c is Control => !!c && !(c instanceof Error));
    const list = (statuses: string[]) => controls.filter((c) => statuses.includes(c.status)).map((c) => `${c.code} (${c.status})`).join(', ');
    const chain = async () => {
      if (!row.chain) return '';
      const from = await ctx.loaders.requirement.load(row.chain.fromRequirementId);
      return `${row.chain.strength} chain of ${row.chain.hops} mapping(s) from ${from?.code ?? '?'} (${row.chain.relationships.join(' → ')})`;
    };
    const soa = (applicability: string) => `the SoA marks it ${applicability}${row.soaJustification ? ` (${row.soaJustification})` : ''}`;
    switch (row.status) {
      case CoverageStatus.EXCLUDED:
        return `EXCLUDED: ${soa('NOT_APPLICABLE')}`;
      case CoverageStatus.COVERED:
        if (list(['IMPLEMENTED'])) return `COVERED: implemented by ${list(['IMPLEMENTED'])}`;
        if (row.chain?.strength === 'FULL') return `COVERED: ${await chain()}`;
        return `COVERED: ${soa('INHERITED')}`;
      case CoverageStatus.EXCEPTED:
        return `EXCEPTED: approved control exception ${row.exceptionId}`;
      case CoverageStatus.PARTIAL:
        return list(['PLANNED', 'IN_PROGRESS']) ? `PARTIAL: implementation under way in ${list(['PLANNED', 'IN_PROGRESS'])}` : `PARTIAL: ${await chain()}`;
      default:
        return 'NOT_COVERED: no active control of the scope implements it and no approved chain reaches it';
    }
  }
}

@Resolver(() => GapCandidate)
export class GapCandidateResolver {
  @FieldResolver(() => Control, { description: 'The control.' })
  async control(@Root() candidate: GapCandidate, @Ctx() ctx: Context): Promise<Control> {
    return (await ctx.loaders.control.load(candidate.controlId))!;
  }

  @FieldResolver(() => Requirement, { description: 'The requirement the control implements.' })
  async via(@Root() candidate: GapCandidate, @Ctx() ctx: Context): Promise<Requirement> {
    return (await ctx.loaders.requirement.load(candidate.viaRequirementId))!;
  }

  @FieldResolver(() => Mapping, { nullable: true, description: 'The mapping from `via` to the gap (null when direct).' })
  mapping(@Root() candidate: GapCandidate, @Ctx() ctx: Context): Promise<Mapping | null> {
    return candidate.mappingId ? ctx.loaders.mapping.load(candidate.mappingId) : Promise.resolve(null);
  }
}
