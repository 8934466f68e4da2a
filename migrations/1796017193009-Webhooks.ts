import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Webhooks1796017193009 implements MigrationInterface {
  name = 'Webhooks1796017193009';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "outbox_event" ("id" uuid NOT NULL, "entity_type" text NOT NULL, "entity_id" uuid NOT NULL, "action" text NOT NULL, "version" integer NOT NULL, "scope_ids" uuid array NOT NULL DEFAULT '{}', "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "audit_event_id" uuid NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "dispatched_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "PK_cc0c9e40998e45ecfc5e313429d" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_outbox_event_undispatched" ON "outbox_event"  ("created_at", "id") WHERE "dispatched_at" IS NULL`);
    await queryRunner.query(`CREATE TYPE "public"."webhook_endpoint_status" AS ENUM('ACTIVE', 'DISABLED')`);
    await queryRunner.query(`CREATE TABLE "webhook_endpoint" ("id" uuid NOT NULL, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "archived_at" TIMESTAMP(3) WITH TIME ZONE, "url" text NOT NULL, "description" text, "event_types" text array NOT NULL DEFAULT '{}', "scope_ids" uuid array, "secret" text NOT NULL, "status" "public"."webhook_endpoint_status" NOT NULL DEFAULT 'ACTIVE', "disabled_at" TIMESTAMP(3) WITH TIME ZONE, "disabled_reason" text, "consecutive_failures" integer NOT NULL DEFAULT '0', "failing_since" TIMESTAMP(3) WITH TIME ZONE, "last_success_at" TIMESTAMP(3) WITH TIME ZONE, "last_failure_at" TIMESTAMP(3) WITH TIME ZONE, "created_by_key_id" uuid, CONSTRAINT "PK_6c98112122b2b8a4f3984d2efa8" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE TYPE "public"."webhook_delivery_status" AS ENUM('PENDING', 'SUCCEEDED', 'FAILED', 'CANCELLED')`);
    await queryRunner.query(`CREATE TABLE "webhook_delivery" ("id" uuid NOT NULL, "event_id" uuid NOT NULL, "endpoint_id" uuid NOT NULL, "status" "public"."webhook_delivery_status" NOT NULL DEFAULT 'PENDING', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "locked_until" TIMESTAMP(3) WITH TIME ZONE, "last_attempt_at" TIMESTAMP(3) WITH TIME ZONE, "last_status_code" integer, "last_error" text, "delivered_at" TIMESTAMP(3) WITH TIME ZONE, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b1ae290239a778f12399db91354" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_webhook_delivery_due" ON "webhook_delivery"  ("next_attempt_at", "id") WHERE "status" = 'PENDING'`);
    await queryRunner.query(`CREATE INDEX "IDX_e5d8cd6dd4dea3a47de2166f10" ON "webhook_delivery"  ("endpoint_id", "created_at") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_9ed7554dd88c137ab0eab5c7f0" ON "webhook_delivery"  ("event_id", "endpoint_id") `);
    await queryRunner.query(`ALTER TABLE "webhook_delivery" ADD CONSTRAINT "FK_b723a573cd78b4cff3404153ad1" FOREIGN KEY ("event_id") REFERENCES "outbox_event"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "webhook_delivery" ADD CONSTRAINT "FK_f53f5aec02217a54927b13e39d9" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoint"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhook_delivery" DROP CONSTRAINT "FK_f53f5aec02217a54927b13e39d9"`);
    await queryRunner.query(`ALTER TABLE "webhook_delivery" DROP CONSTRAINT "FK_b723a573cd78b4cff3404153ad1"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_9ed7554dd88c137ab0eab5c7f0"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_e5d8cd6dd4dea3a47de2166f10"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_webhook_delivery_due"`);
    await queryRunner.query(`DROP TABLE "webhook_delivery"`);
    await queryRunner.query(`DROP TYPE "public"."webhook_delivery_status"`);
    await queryRunner.query(`DROP TABLE "webhook_endpoint"`);
    await queryRunner.query(`DROP TYPE "public"."webhook_endpoint_status"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_outbox_event_undispatched"`);
    await queryRunner.query(`DROP TABLE "outbox_event"`);
  }
}
