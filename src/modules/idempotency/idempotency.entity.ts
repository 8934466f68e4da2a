import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A create remembered by (API key, operation, idempotency key) for 24 hours. */
@Entity('idempotency_key')
export class IdempotencyRecord {
  @PrimaryColumn('uuid')
  apiKeyId!: string;

  @PrimaryColumn('text')
  operation!: string;

  @PrimaryColumn('text')
  key!: string;

  @Column('text')
  requestHash!: string;

  @Column('uuid')
  entityId!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
