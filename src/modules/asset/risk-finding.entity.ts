import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Risk } from '../risk/risk.entity';
import { Scope } from '../scope/scope.entity';
import { Asset } from './asset.entity';

/**
 * The risk `createRisksFromFindings` made from an NHI finding in one scope's register. The key
 * (scope, finding) is what makes the mutation idempotent per finding: a second call finds this row
 * and returns its risk instead of creating another.
 */
@Entity('risk_finding')
export class RiskFinding {
  @PrimaryColumn('uuid')
  scopeId!: string;

  /** The finding's stable id (nhi-findings.sql.ts: a UUIDv8 of rule and asset). */
  @PrimaryColumn('uuid')
  findingId!: string;

  @Index({ unique: true })
  @Column('uuid')
  riskId!: string;

  /** The finding's rule code when the risk was made (NhiFindingRule). */
  @Column('text')
  rule!: string;

  @Index()
  @Column('uuid')
  assetId!: string;

  @ManyToOne(() => Scope, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'scope_id' })
  scopeRecord?: Scope;

  @ManyToOne(() => Risk, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'risk_id' })
  riskRecord?: Risk;

  @ManyToOne(() => Asset, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'asset_id' })
  assetRecord?: Asset;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
