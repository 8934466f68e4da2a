import type { MigrationInterface, QueryRunner } from 'typeorm';

export class WebhookRetention1796018400000 implements MigrationInterface {
  name = 'WebhookRetention1796018400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "IDX_outbox_event_dispatched" ON "outbox_event"  ("dispatched_at") WHERE "dispatched_at" IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_outbox_event_dispatched"`);
  }
}
