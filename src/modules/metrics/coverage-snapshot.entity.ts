import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Scope } from '../scope/scope.entity';
import { Framework } from '../framework/framework.entity';

/** numeric columns come back from pg as strings; percentages are small decimals, read them as numbers. */
const decimal = { to: (value: number) => value, from: (value: string | null) => (value === null ? null : Number(value)) };

/**
 * Coverage of one framework version in one scope on one UTC day: the counts and percentages as
 * computed by the coverage module at `takenAt`. One row per (scope, framework, day): a later
 * snapshot the same day overwrites it (upsert), so the row holds the last state seen that day.
 */
@Entity('coverage_snapshot')
@Index(['scopeId', 'frameworkId', 'day'], { unique: true })
export class CoverageSnapshotRecord {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  scopeId!: string;

  @ManyToOne(() => Scope, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'scope_id' })
  scopeRecord?: Scope;

  @Column('uuid')
  @Index()
  frameworkId!: string;

  @ManyToOne(() => Framework, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'framework_id' })
  frameworkRecord?: Framework;

  /** The UTC day, read as 'YYYY-MM-DD'. */
  @Column('date')
  day!: string;

  @Column({ type: 'timestamptz', precision: 3 })
  takenAt!: Date;

  @Column('int')
  total!: number;

  @Column('int')
  covered!: number;

  @Column('int')
  excluded!: number;

  @Column('int')
  excepted!: number;

  @Column('int')
  partial!: number;

  @Column('int')
  notCovered!: number;

  @Column({ type: 'numeric', precision: 4, scale: 1, transformer: decimal })
  coveredPct!: number;

  @Column({ type: 'numeric', precision: 4, scale: 1, transformer: decimal })
  exceptedPct!: number;

  @Column({ type: 'numeric', precision: 4, scale: 1, transformer: decimal })
  partialPct!: number;

  @Column({ type: 'numeric', precision: 4, scale: 1, transformer: decimal })
  notCoveredPct!: number;
}
