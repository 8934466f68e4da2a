import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { PageArgs } from '../../common/pagination';
import { Requirement } from '../framework/requirement.entity';
import { Asset } from './asset.entity';
import { nhiFindingsService } from './nhi-findings.service';
import { CreateRisksFromFindingsInput, FindingRisk, NhiFinding, NhiFindingConnection, NhiFindingFilter } from './nhi-findings.types';

@Resolver(() => NhiFinding)
export class NhiFindingResolver {
  @Authorized(Permission.ISMS_READ)
  @Query(() => NhiFindingConnection, {
    description: 'Posture of the non-human identities of a scope and its descendant scopes, mapped to the OWASP NHI Top 10 (2025): '
      + 'one finding per rule (NhiFindingRule) an identity breaks, computed from the inventory on each read. Only active identities count: '
      + 'kind NON_HUMAN_IDENTITY, neither archived nor revoked. Severity: the rule\'s base severity, one level higher when the identity is '
      + 'privileged and used in PRODUCTION. Most severe first, then by asset id, then in NhiFindingRule order. NOT_FOUND when the scope is absent or outside the key\'s scopes.',
  })
  nhiFindings(
    @Ctx() ctx: Context,
    @Arg('scopeId', () => ID, { description: 'The scope; its descendant scopes\' identities are included.' }) scopeId: string,
    @Args() page: PageArgs,
    @Arg('filter', () => NhiFindingFilter, { nullable: true, description: 'Which findings.' }) filter?: NhiFindingFilter | null,
  ): Promise<NhiFindingConnection> {
    return nhiFindingsService.list(ctx, scopeId, filter ?? new NhiFindingFilter(), page);
  }

  @FieldResolver(() => Asset, { description: 'The non-human identity the finding is about.' })
  asset(@Root() finding: NhiFinding, @Ctx() ctx: Context): Promise<Asset> {
    return nhiFindingsService.asset(ctx, finding.assetId);
  }

  @FieldResolver(() => Requirement, { description: 'The OWASP NHI Top 10 item (a requirement of `owasp-nhi-top10-2025`, newest version) the finding falls under; risks made from the finding name it as their threat.' })
  async item(@Root() finding: NhiFinding, @Ctx() ctx: Context): Promise<Requirement> {
    return (await ctx.loaders.requirement.load(finding.requirementId))!;
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => [FindingRisk], {
    description: 'Turns NHI findings into risks of a scope\'s register, all or nothing, one result per given id in the same order. Each new risk: '
      + 'title `<item code> <item title>: <identity name>`, the finding\'s message as description, the OWASP NHI item as threat, the identity as asset, '
      + 'status IDENTIFIED, treatment UNDECIDED, and likelihood × impact from the severity: CRITICAL 5 × 5 = 25, HIGH 4 × 3 = 12, MEDIUM 3 × 3 = 9, '
      + 'LOW 2 × 2 = 4 (so the inherent level equals the severity). Idempotent per finding and register: a finding a risk was already made from '
      + 'in this scope returns that risk (`created: false`), also when called concurrently. An id that is no current finding of the scope is '
      + 'BAD_USER_INPUT naming its index (`extensions.index`), and nothing is written.',
  })
  createRisksFromFindings(
    @Ctx() ctx: Context,
    @Arg('input', () => CreateRisksFromFindingsInput, { description: 'Findings, scope and owner.' }) input: CreateRisksFromFindingsInput,
  ): Promise<FindingRisk[]> {
    return nhiFindingsService.createRisks(ctx, input);
  }
}
