import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Requests of one key in one fixed window, shared by every instance: each request adds one with
 * `INSERT … ON CONFLICT DO UPDATE … RETURNING count`. The migration creates the table UNLOGGED
 * (counters need no crash safety or replication); the scheduler deletes past windows.
 */
@Entity('api_key_rate_window')
export class ApiKeyRateWindow {
  @PrimaryColumn('uuid') keyId!: string;
  @PrimaryColumn({ type: 'timestamptz', precision: 3 }) @Index() windowStart!: Date;
  @Column({ type: 'int' }) count!: number;
}
