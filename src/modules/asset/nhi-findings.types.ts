import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsUUID } from 'class-validator';
import { MAX_PAGE_SIZE, PageInfo } from '../../common/pagination';
import { Risk } from '../risk/risk.entity';

/** The framework whose requirements (NHI1…NHI10) findings point at and risks name as threats. */
export const NHI_FRAMEWORK_KEY = 'owasp-nhi-top10-2025';

/**
 * The rules `nhiFindings` applies. The codes are part of each finding's stable id (rule + asset),
 * so a code never changes once shipped.
 */
export enum NhiFindingRule {
  NO_ACTIVE_OWNER = 'NO_ACTIVE_OWNER',
  ROTATION_OVERDUE = 'ROTATION_OVERDUE',
  NO_EXPIRY = 'NO_EXPIRY',
  PRIVILEGED = 'PRIVILEGED',
  CROSS_ENVIRONMENT = 'CROSS_ENVIRONMENT',
  SHARED_BY_CONSUMERS = 'SHARED_BY_CONSUMERS',
  HUMAN_USE = 'HUMAN_USE',
}
registerEnumType(NhiFindingRule, {
  name: 'NhiFindingRule',
  description: 'A posture rule over the non-human identity inventory, and the OWASP NHI Top 10 (2025) item it falls under.',
  valuesConfig: {
    NO_ACTIVE_OWNER: { description: 'NHI1 Improper Offboarding: no owner, or the owner is archived. Base severity HIGH.' },
    ROTATION_OVERDUE: {
      description: 'NHI7 Long-Lived Secrets: a secret-bearing identity (see NO_EXPIRY) with a rotation interval whose last rotation (its creation when never rotated) plus the interval lies in the past. Base severity MEDIUM.',
    },
    NO_EXPIRY: {
      description: 'NHI7 Long-Lived Secrets: a secret-bearing identity without `expiresAt`. Secret-bearing kinds: SECRET, API_KEY, OAUTH_CLIENT (client secret), CERTIFICATE (private key) and SERVICE_ACCOUNT (its keys); WORKLOAD_IDENTITY (federated, short-lived tokens) and AI_AGENT (its credentials are inventoried as identities of their own) are not. Base severity LOW when a rotation interval is set (rotation bounds the lifetime), MEDIUM when nothing bounds it.',
    },
    PRIVILEGED: { description: 'NHI5 Overprivileged NHI: flagged `privileged`. Base severity MEDIUM.' },
    CROSS_ENVIRONMENT: { description: 'NHI8 Environment Isolation: used in PRODUCTION and in at least one of STAGING, DEVELOPMENT, TEST. Base severity HIGH.' },
    SHARED_BY_CONSUMERS: { description: 'NHI9 NHI Reuse: used by more than one active (unarchived) consumer application. Base severity MEDIUM.' },
    HUMAN_USE: { description: 'NHI10 Human Use of NHI: flagged `humanUse`. Base severity MEDIUM.' },
  },
});

export enum NhiFindingSeverity {
  LOW = 'LOW',
  MEDIUM = 'MEDIUM',
  HIGH = 'HIGH',
  CRITICAL = 'CRITICAL',
}
registerEnumType(NhiFindingSeverity, {
  name: 'NhiFindingSeverity',
  description: 'Severity of an NHI finding: the rule\'s base severity (see NhiFindingRule), raised one level (at most to CRITICAL) when the identity is `privileged` and used in PRODUCTION.',
});

/** Severities in rank order: the SQL works with ranks 1 (LOW) to 4 (CRITICAL). */
export const SEVERITY_RANKS: readonly NhiFindingSeverity[] = [NhiFindingSeverity.LOW, NhiFindingSeverity.MEDIUM, NhiFindingSeverity.HIGH, NhiFindingSeverity.CRITICAL];
export const rankOf = (severity: NhiFindingSeverity): number => SEVERITY_RANKS.indexOf(severity) + 1;
export const severityOf = (rank: number): NhiFindingSeverity => SEVERITY_RANKS[rank - 1];

/**
 * Likelihood and impact of a risk made from a finding of each severity. Chosen so the risk's
 * inherent level (DOMAIN.md bands: LOW ≤ 4 < MEDIUM ≤ 9 < HIGH ≤ 15 < CRITICAL) equals the
 * finding's severity: 4 × 4 = 16 would already be CRITICAL, hence HIGH → 4 × 3 = 12.
 */
export const RISK_SCORES_BY_SEVERITY: Record<NhiFindingSeverity, { likelihood: number; impact: number }> = {
  [NhiFindingSeverity.CRITICAL]: { likelihood: 5, impact: 5 },
  [NhiFindingSeverity.HIGH]: { likelihood: 4, impact: 3 },
  [NhiFindingSeverity.MEDIUM]: { likelihood: 3, impact: 3 },
  [NhiFindingSeverity.LOW]: { likelihood: 2, impact: 2 },
};

@ObjectType({
  simpleResolvers: true,
  description: 'A weakness of one non-human identity, computed from the inventory each time it is read (nothing is stored).',
})
export class NhiFinding {
  @Field(() => ID, {
    description: 'Stable id: a name-based UUID (version 8) of the rule and the asset id, the first 16 bytes of SHA-256("isms-graph/nhi-finding/<RULE>/<asset id>") with the version and variant bits set. The same rule on the same asset has the same id on every read and in every scope that sees the asset; pass it to `createRisksFromFindings`.',
  })
  id!: string;

  @Field(() => NhiFindingRule, { description: 'The rule that found it.' })
  rule!: NhiFindingRule;

  @Field(() => NhiFindingSeverity, { description: 'Severity: the rule\'s base severity, one level higher when the identity is privileged and used in PRODUCTION.' })
  severity!: NhiFindingSeverity;

  @Field({ description: 'Code of the OWASP NHI Top 10 item, e.g. `NHI7`.' })
  itemCode!: string;

  @Field({ description: 'What is wrong, in words, naming the identity.' })
  message!: string;

  assetId!: string;
  assetName!: string;
  requirementId!: string;
  itemTitle!: string;
  /** Severity rank 1-4 and the rule's order, kept for the cursor. */
  rank!: number;
  ord!: number;
}

@ObjectType('NhiFindingEdge', { simpleResolvers: true, description: 'An edge to an NhiFinding.' })
export class NhiFindingEdge {
  @Field({ description: 'Opaque keyset cursor of this edge.' })
  cursor!: string;

  @Field(() => NhiFinding, { description: 'The finding.' })
  node!: NhiFinding;
}

@ObjectType('NhiFindingConnection', { simpleResolvers: true, description: 'A page of NHI findings, most severe first, then by asset id, then in NhiFindingRule order.' })
export class NhiFindingConnection {
  @Field(() => [NhiFindingEdge], { description: 'The findings of this page.' })
  edges!: NhiFindingEdge[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Number of findings matching the filter (all pages).' })
  totalCount!: number;
}

@InputType({ description: 'Which NHI findings to list; every list given narrows the result.' })
export class NhiFindingFilter {
  @Field(() => [NhiFindingRule], { nullable: true, description: 'Only these rules.' })
  rules?: NhiFindingRule[] | null;

  @Field(() => [NhiFindingSeverity], { nullable: true, description: 'Only these severities.' })
  severities?: NhiFindingSeverity[] | null;
}

@InputType({ description: 'Findings to turn into risks of one scope\'s register.' })
export class CreateRisksFromFindingsInput {
  @Field(() => [ID], {
    description: `Ids of current findings of \`nhiFindings(scopeId)\`, 1 to ${MAX_PAGE_SIZE}. An id that is not a current finding of the scope (unknown, or resolved since it was read) is BAD_USER_INPUT naming its index, unless a risk was already made from it in this register.`,
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(MAX_PAGE_SIZE)
  findingIds!: string[];

  @Field(() => ID, { description: 'The scope whose register receives the risks; its findings (its own and its descendants\') are the ones that count.' })
  @IsUUID('all', { message: 'must be a scope id' })
  scopeId!: string;

  @Field(() => ID, { description: 'Owner of the new risks.' })
  @IsUUID('all', { message: 'must be an owner id' })
  ownerId!: string;
}

@ObjectType({ simpleResolvers: true, description: 'The risk made from (or already recorded for) one finding.' })
export class FindingRisk {
  @Field(() => ID, { description: 'The finding id, as given.' })
  findingId!: string;

  @Field({ description: 'True when this call created the risk; false when the register already held a risk made from this finding.' })
  created!: boolean;

  @Field(() => Risk, { description: 'The risk.' })
  risk!: Risk;
}
