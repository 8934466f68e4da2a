import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { canSeeAny } from '../../auth/visibility';
import { ConnectionType, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageArgs, pageSize } from '../../common/pagination';
import { Owner } from '../owner/owner.entity';
import { Scope } from '../scope/scope.entity';
import { scopeService } from '../scope/scope.service';
import { Control } from '../control/control.entity';
import { controlService } from '../control/control.service';
import { Risk } from '../risk/risk.entity';
import { Asset, AssetLifecycleEvent } from './asset.entity';
import { AssetFilter, AssetOrder, CreateAssetInput, ImportNonHumanIdentitiesInput, NhiImportResult, UpdateAssetInput } from './asset.inputs';
import { nextRotationAt } from './asset.reminders';
import { assetService } from './asset.service';

export const AssetConnection = ConnectionType(Asset, 'Asset');

@Resolver(() => Asset)
export class AssetResolver {
  @Authorized(Permission.ISMS_READ)
  @Query(() => Asset, { description: 'One asset by id; NOT_FOUND when absent or outside the key\'s scopes.' })
  asset(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Asset id.' }) id: string): Promise<Asset> {
    return assetService.get(ctx, id);
  }

  @Authorized(Permission.ISMS_READ)
  @Query(() => AssetConnection, { description: 'The asset inventory: assets the key may see (through any of their scopes), filtered and ordered. Revoked identities and archived assets are left out unless asked for.' })
  assets(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => AssetFilter, { nullable: true, description: 'Which assets.' }) filter?: AssetFilter,
    @Arg('orderBy', () => AssetOrder, { nullable: true, description: 'Order; default by name.' }) orderBy?: AssetOrder,
  ) {
    const order = orderBy ?? new AssetOrder();
    return assetService.list(ctx, filter ?? new AssetFilter(), { ...page, orderColumn: `a.${order.field}`, orderProperty: order.field, direction: order.direction });
  }

  @FieldResolver(() => Owner, { nullable: true, description: 'Accountable owner; null when the asset has none.' })
  owner(@Root() asset: Asset, @Ctx() ctx: Context): Promise<Owner | null> {
    return assetService.ownerOf(ctx, asset);
  }

  @FieldResolver(() => [Scope], { description: 'Scopes the asset belongs to (those the key may see).' })
  async scopes(@Root() asset: Asset, @Ctx() ctx: Context): Promise<Scope[]> {
    const ids = await ctx.loaders.assetScopeIds.load(asset.id);
    const scopes = await Promise.all(ids.map((id) => scopeService.findVisible(ctx, id)));
    return scopes.filter((s): s is Scope => s !== null);
  }

  @FieldResolver(() => [Asset], { description: 'Non-human identity: the active APPLICATION or SERVICE assets that use it (those the key may see).' })
  async consumers(@Root() asset: Asset, @Ctx() ctx: Context): Promise<Asset[]> {
    return assetService.visibleMany(ctx, await ctx.loaders.assetConsumerIds.load(asset.id));
  }

  @FieldResolver(() => [AssetLifecycleEvent], { description: 'The asset\'s lifecycle history, newest first: created or imported, updated, rotated, revoked, archived.' })
  lifecycle(
    @Root() asset: Asset,
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `At most this many of the newest events, at most ${MAX_PAGE_SIZE}.` }) first: number,
  ): Promise<AssetLifecycleEvent[]> {
    return ctx.loaders.assetLifecycle.load({ assetId: asset.id, first: pageSize(first) });
  }

  @FieldResolver(() => Date, {
    nullable: true,
    description: 'Non-human identity: when it must next be rotated — one rotationIntervalDays after lastRotatedAt, or expiresAt, whichever is first; with an interval but no rotation on record, since createdAt. Null for other assets, revoked identities, and identities with neither interval nor expiry.',
  })
  nextRotationAt(@Root() asset: Asset): Date | null {
    return nextRotationAt(asset);
  }

  @FieldResolver(() => [Risk], { description: 'Active risks that concern the asset (those the key may see).' })
  async risks(@Root() asset: Asset, @Ctx() ctx: Context): Promise<Risk[]> {
    const risks = (await ctx.loaders.risk.loadMany(await ctx.loaders.assetRiskIds.load(asset.id))).filter((r): r is Risk => !!r && !(r instanceof Error));
    const shown = await Promise.all(risks.map((r) => canSeeAny(ctx, [r.scopeId])));
    return risks.filter((_r, i) => shown[i]);
  }

  @FieldResolver(() => [Control], { description: 'Active controls that protect the asset (those the key may see).' })
  async controls(@Root() asset: Asset, @Ctx() ctx: Context): Promise<Control[]> {
    return controlService.visibleMany(ctx, await ctx.loaders.assetControlIds.load(asset.id));
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Asset, { description: 'Creates an asset, optionally in scopes. For kind NON_HUMAN_IDENTITY nhiKind is required; the identity fields are BAD_USER_INPUT on other kinds. An unknown scope, owner or consumer is BAD_USER_INPUT naming the field; a scope or consumer outside the key\'s scopes FORBIDDEN.' })
  createAsset(
    @Ctx() ctx: Context,
    @Arg('input', () => CreateAssetInput, { description: 'The asset.' }) input: CreateAssetInput,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Retry key: the same key and input return the asset first created.' }) idempotencyKey?: string,
  ): Promise<Asset> {
    return assetService.create(ctx, input, idempotencyKey);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Asset, { description: 'Changes an asset (an UPDATED lifecycle event names the changed fields); CONFLICT when `expectedVersion` is stale.' })
  updateAsset(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Asset id.' }) id: string,
    @Arg('input', () => UpdateAssetInput, { description: 'The changes.' }) input: UpdateAssetInput,
    @Arg('expectedVersion', () => Int, { description: 'The version the change was made against.' }) expectedVersion: number,
  ): Promise<Asset> {
    return assetService.update(ctx, id, input, expectedVersion);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Asset, { description: 'Archives an asset: kept, hidden from lists and links by default.' })
  archiveAsset(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Asset id.' }) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true, description: 'When given, CONFLICT unless the asset is at this version.' }) expectedVersion?: number,
  ): Promise<Asset> {
    return assetService.archive(ctx, id, expectedVersion);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Asset, { description: 'Puts an asset in a scope (no-op when already linked).' })
  linkAssetToScope(
    @Ctx() ctx: Context,
    @Arg('assetId', () => ID, { description: 'Asset id.' }) assetId: string,
    @Arg('scopeId', () => ID, { description: 'Scope id.' }) scopeId: string,
  ): Promise<Asset> {
    return assetService.linkToScope(ctx, assetId, scopeId);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Asset, { description: 'Takes an asset out of a scope (no-op when not linked).' })
  unlinkAssetFromScope(
    @Ctx() ctx: Context,
    @Arg('assetId', () => ID, { description: 'Asset id.' }) assetId: string,
    @Arg('scopeId', () => ID, { description: 'Scope id.' }) scopeId: string,
  ): Promise<Asset> {
    return assetService.unlinkFromScope(ctx, assetId, scopeId);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Asset, { description: 'Says a risk concerns an asset (no-op when linked). Returns the asset, whose version the link moves. NOT_FOUND for an unknown or invisible asset; BAD_USER_INPUT (riskId) for an unknown or archived risk, FORBIDDEN for one outside the key\'s scopes.' })
  linkRiskToAsset(
    @Ctx() ctx: Context,
    @Arg('riskId', () => ID, { description: 'Risk id.' }) riskId: string,
    @Arg('assetId', () => ID, { description: 'Asset id.' }) assetId: string,
  ): Promise<Asset> {
    return assetService.linkRisk(ctx, riskId, assetId);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Asset, { description: 'Removes a risk from an asset (no-op when not linked). Returns the asset.' })
  unlinkRiskFromAsset(
    @Ctx() ctx: Context,
    @Arg('riskId', () => ID, { description: 'Risk id.' }) riskId: string,
    @Arg('assetId', () => ID, { description: 'Asset id.' }) assetId: string,
  ): Promise<Asset> {
    return assetService.unlinkRisk(ctx, riskId, assetId);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Asset, { description: 'Says a control protects an asset (no-op when linked). Returns the asset, whose version the link moves. NOT_FOUND for an unknown or invisible asset; BAD_USER_INPUT (controlId) for an unknown or archived control, FORBIDDEN for one outside the key\'s scopes.' })
  linkControlToAsset(
    @Ctx() ctx: Context,
    @Arg('controlId', () => ID, { description: 'Control id.' }) controlId: string,
    @Arg('assetId', () => ID, { description: 'Asset id.' }) assetId: string,
  ): Promise<Asset> {
    return assetService.linkControl(ctx, controlId, assetId);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Asset, { description: 'Removes a control from an asset (no-op when not linked). Returns the asset.' })
  unlinkControlFromAsset(
    @Ctx() ctx: Context,
    @Arg('controlId', () => ID, { description: 'Control id.' }) controlId: string,
    @Arg('assetId', () => ID, { description: 'Asset id.' }) assetId: string,
  ): Promise<Asset> {
    return assetService.unlinkControl(ctx, controlId, assetId);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Asset, {
    description: 'Records a rotation of a non-human identity\'s secret: lastRotatedAt moves (never backwards) and a ROTATED event joins its lifecycle; recording the rotation on record again changes nothing. INVALID_TRANSITION for a revoked or archived identity; BAD_USER_INPUT (assetId) for another kind of asset.',
  })
  recordRotation(
    @Ctx() ctx: Context,
    @Arg('assetId', () => ID, { description: 'The identity.' }) assetId: string,
    @Arg('rotatedAt', () => Date, { nullable: true, description: 'When it was rotated (not in the future); default now.' }) rotatedAt?: Date,
    @Arg('notes', () => String, { nullable: true, description: 'Notes for the lifecycle event, e.g. the change ticket.' }) notes?: string,
    @Arg('expiresAt', () => Date, { nullable: true, description: 'Expiry of the new credential (after rotatedAt); omitted: the expiry stays, null: it does not expire.' }) expiresAt?: Date | null,
    @Arg('expectedVersion', () => Int, { nullable: true, description: 'When given, CONFLICT unless the asset is at this version.' }) expectedVersion?: number,
  ): Promise<Asset> {
    return assetService.recordRotation(ctx, { assetId, rotatedAt, notes, expiresAt, expectedVersion });
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Asset, { description: 'Revokes a non-human identity: revokedAt is set and a REVOKED event with the reason joins its lifecycle. Revoking again is INVALID_TRANSITION; BAD_USER_INPUT (assetId) for another kind of asset.' })
  revokeNonHumanIdentity(
    @Ctx() ctx: Context,
    @Arg('assetId', () => ID, { description: 'The identity.' }) assetId: string,
    @Arg('reason', { description: 'Why it was revoked.' }) reason: string,
    @Arg('expectedVersion', () => Int, { nullable: true, description: 'When given, CONFLICT unless the asset is at this version.' }) expectedVersion?: number,
  ): Promise<Asset> {
    return assetService.revoke(ctx, { assetId, reason, expectedVersion });
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => NhiImportResult, { description: 'Imports an inventory export of non-human identities (format in ImportNonHumanIdentitiesInput): upserts by sourceSystem + id, all or nothing; an identical re-import changes nothing.' })
  importNonHumanIdentities(
    @Ctx() ctx: Context,
    @Arg('input', () => ImportNonHumanIdentitiesInput, { description: 'The document and where its identities go.' }) input: ImportNonHumanIdentitiesInput,
  ): Promise<NhiImportResult> {
    return assetService.importNonHumanIdentities(ctx, input);
  }
}

/** risk.assets lives here: the asset module knows risks, never the reverse. */
@Resolver(() => Risk)
export class RiskAssetsResolver {
  @FieldResolver(() => [Asset], { description: 'Active assets the risk concerns (those the key may see).' })
  async assets(@Root() risk: Risk, @Ctx() ctx: Context): Promise<Asset[]> {
    return assetService.visibleMany(ctx, await ctx.loaders.riskAssetIds.load(risk.id));
  }
}

/** control.assets lives here: the asset module knows controls, never the reverse. */
@Resolver(() => Control)
export class ControlAssetsResolver {
  @FieldResolver(() => [Asset], { description: 'Active assets the control protects (those the key may see).' })
  async assets(@Root() control: Control, @Ctx() ctx: Context): Promise<Asset[]> {
    return assetService.visibleMany(ctx, await ctx.loaders.controlAssetIds.load(control.id));
  }
}
