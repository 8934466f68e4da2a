import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { DateResolver } from 'graphql-scalars';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { VersionedRecord } from '../../common/base.entity';
import { Owner } from '../owner/owner.entity';
import { Control } from '../control/control.entity';
import { Risk } from '../risk/risk.entity';

export enum TaskStatus {
  OPEN = 'OPEN',
  IN_PROGRESS = 'IN_PROGRESS',
  DONE = 'DONE',
  CANCELLED = 'CANCELLED',
}
registerEnumType(TaskStatus, { name: 'TaskStatus', description: 'State of a treatment task.' });

@ObjectType({ simpleResolvers: true, description: 'The ticket that mirrors a task: system, key and link.' })
export class ExternalRef {
  @Field({ description: 'Ticketing system, e.g. `jira` or `servicenow` (lowercase).' })
  system!: string;

  @Field({ description: 'The ticket key in that system, e.g. `SEC-123`.' })
  key!: string;

  @Field(() => String, { nullable: true, description: 'Link to the ticket.' })
  url!: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'Work that treats a risk, often mirrored by a ticket in Jira or ServiceNow.' })
@Entity('treatment_task')
@Index(['externalSystem', 'externalKey'], { unique: true, where: '"external_system" IS NOT NULL' })
@Index(['updatedAt', 'id'])
export class TreatmentTask extends VersionedRecord {
  @Field({ description: 'What has to be done.' })
  @Column('text')
  title!: string;

  @Field(() => String, { nullable: true, description: 'Details.' })
  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column('uuid')
  @Index()
  riskId!: string;

  @ManyToOne(() => Risk, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'risk_id' })
  riskRecord?: Risk;

  @Column({ type: 'uuid', nullable: true })
  @Index()
  controlId!: string | null;

  @ManyToOne(() => Control, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'control_id' })
  controlRecord?: Control | null;

  @Column('uuid')
  @Index()
  assigneeId!: string;

  @ManyToOne(() => Owner, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'assignee_id' })
  assigneeRecord?: Owner;

  // typeorm reads a `date` column as 'YYYY-MM-DD', which the Date scalar serializes as it is
  @Field(() => DateResolver, { nullable: true, description: 'Due date.' })
  @Column({ type: 'date', nullable: true })
  dueDate!: string | null;

  @Field(() => TaskStatus, { description: 'State.' })
  @Index()
  @Column({ type: 'enum', enum: TaskStatus, enumName: 'task_status', default: TaskStatus.OPEN })
  status!: TaskStatus;

  @Column({ type: 'text', nullable: true })
  externalSystem!: string | null;

  @Column({ type: 'text', nullable: true })
  externalKey!: string | null;

  @Column({ type: 'text', nullable: true })
  externalUrl!: string | null;
}
