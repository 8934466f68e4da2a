import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Reminders1796014778795 implements MigrationInterface {
  name = 'Reminders1796014778795';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE "public"."reminder_kind" AS ENUM('REVIEW_DUE', 'REVIEW_OVERDUE', 'EVIDENCE_STALE', 'EXCEPTION_EXPIRING', 'EXCEPTION_EXPIRED', 'TASK_OVERDUE', 'ROTATION_DUE')`);
    await queryRunner.query(`CREATE TABLE "reminder" ("id" uuid NOT NULL, "kind" "public"."reminder_kind" NOT NULL, "subject_type" text NOT NULL, "subject_id" uuid NOT NULL, "scope_ids" uuid array NOT NULL DEFAULT '{}', "owner_id" uuid NOT NULL, "due_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "lead_days" integer NOT NULL, "fired_at" TIMESTAMP(3) WITH TIME ZONE, "acknowledged_at" TIMESTAMP(3) WITH TIME ZONE, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_9ec029d17cb8dece186b9221ede" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_e6e41274c6d67a9f54248a07d7" ON "reminder"  ("owner_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_1056ee92fc9e4458109e7dde74" ON "reminder"  ("fired_at", "due_at") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_11360f7cd731f3dfeb27e37c1b" ON "reminder"  ("subject_type", "subject_id", "kind", "due_at", "lead_days") `);
    await queryRunner.query(`CREATE TYPE "public"."review_outcome" AS ENUM('NO_CHANGE', 'UPDATED', 'ACTION_REQUIRED')`);
    await queryRunner.query(`CREATE TABLE "review" ("id" uuid NOT NULL, "subject_type" text NOT NULL, "subject_id" uuid NOT NULL, "outcome" "public"."review_outcome" NOT NULL, "notes" text, "recorded_by_key_id" uuid, "reviewed_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_2e4299a343a81574217255c00ca" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_aaa1d1ae39bad00f7e1c59d8c0" ON "review"  ("subject_type", "subject_id", "reviewed_at") `);
    await queryRunner.query(`CREATE TABLE "calendar_token" ("id" uuid NOT NULL, "owner_id" uuid NOT NULL, "token_hash" text NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "PK_47edbe75aaf6fb4cdfdb03bdb40" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_5d996f1ee5e2b8e243f6127e36" ON "calendar_token"  ("owner_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_1bc29ea5afdb9b46099523c9ea" ON "calendar_token"  ("token_hash") `);
    await queryRunner.query(`ALTER TABLE "reminder" ADD CONSTRAINT "FK_e6e41274c6d67a9f54248a07d73" FOREIGN KEY ("owner_id") REFERENCES "owner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "reminder" DROP CONSTRAINT "FK_e6e41274c6d67a9f54248a07d73"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_1bc29ea5afdb9b46099523c9ea"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_5d996f1ee5e2b8e243f6127e36"`);
    await queryRunner.query(`DROP TABLE "calendar_token"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_aaa1d1ae39bad00f7e1c59d8c0"`);
    await queryRunner.query(`DROP TABLE "review"`);
    await queryRunner.query(`DROP TYPE "public"."review_outcome"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_11360f7cd731f3dfeb27e37c1b"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_1056ee92fc9e4458109e7dde74"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_e6e41274c6d67a9f54248a07d7"`);
    await queryRunner.query(`DROP TABLE "reminder"`);
    await queryRunner.query(`DROP TYPE "public"."reminder_kind"`);
  }
}
