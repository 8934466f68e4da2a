import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SoaEvidence1796014425619 implements MigrationInterface {
  name = 'SoaEvidence1796014425619';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "scope_framework" ("scope_id" uuid NOT NULL, "framework_id" uuid NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d12f57357384375353944f83b47" PRIMARY KEY ("scope_id", "framework_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_5e4c3b51d18d9e4973ba0f2b78" ON "scope_framework"  ("framework_id") `);
    await queryRunner.query(`CREATE TYPE "public"."applicability" AS ENUM('UNDECIDED', 'APPLICABLE', 'NOT_APPLICABLE', 'INHERITED')`);
    await queryRunner.query(`CREATE TABLE "soa_entry" ("id" uuid NOT NULL, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "archived_at" TIMESTAMP(3) WITH TIME ZONE, "scope_id" uuid NOT NULL, "requirement_id" uuid NOT NULL, "applicability" "public"."applicability" NOT NULL, "justification" text, "drivers" text array NOT NULL DEFAULT '{}', CONSTRAINT "PK_002ee75cee32bbd57bc34a19440" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_584d97fa24367a2d959d32f4cb" ON "soa_entry"  ("requirement_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_7950f9104322ae0a7e51762d26" ON "soa_entry"  ("scope_id", "requirement_id") `);
    await queryRunner.query(`CREATE TABLE "soa_version" ("id" uuid NOT NULL, "scope_id" uuid NOT NULL, "number" integer NOT NULL, "approver_id" uuid NOT NULL, "approved_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "rows" jsonb NOT NULL, CONSTRAINT "PK_779077bfe0d3232186a68813639" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_bedee8dfd9b321556a4f6d5ec0" ON "soa_version"  ("scope_id", "number") `);
    await queryRunner.query(`CREATE TYPE "public"."evidence_kind" AS ENUM('DOCUMENT', 'RECORD', 'SCREENSHOT', 'LOG', 'REPORT', 'TICKET', 'CONFIGURATION', 'ATTESTATION', 'OTHER')`);
    await queryRunner.query(`CREATE TABLE "evidence" ("id" uuid NOT NULL, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "archived_at" TIMESTAMP(3) WITH TIME ZONE, "control_id" uuid NOT NULL, "owner_id" uuid NOT NULL, "title" text NOT NULL, "kind" "public"."evidence_kind" NOT NULL, "reference" text NOT NULL, "collected_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "valid_until" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "PK_b864cb5d49854f89917fc0b44b9" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_d574def13b12a59211fd3f4c72" ON "evidence"  ("owner_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_50e4075e60d181250eb64fd3af" ON "evidence"  ("control_id", "valid_until") `);
    await queryRunner.query(`ALTER TABLE "exception" ADD "requirement_id" uuid`);
    await queryRunner.query(`CREATE INDEX "IDX_e7a3faa40a0ff25079173700ff" ON "exception"  ("requirement_id") `);
    await queryRunner.query(`ALTER TABLE "exception" ADD CONSTRAINT "FK_e7a3faa40a0ff25079173700ff2" FOREIGN KEY ("requirement_id") REFERENCES "requirement"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "scope_framework" ADD CONSTRAINT "FK_ba6f32b661dfe96ffa312b936c8" FOREIGN KEY ("scope_id") REFERENCES "scope"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "scope_framework" ADD CONSTRAINT "FK_5e4c3b51d18d9e4973ba0f2b78d" FOREIGN KEY ("framework_id") REFERENCES "framework"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "soa_entry" ADD CONSTRAINT "FK_9813171808ed7373ba07367798c" FOREIGN KEY ("scope_id") REFERENCES "scope"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "soa_entry" ADD CONSTRAINT "FK_584d97fa24367a2d959d32f4cb4" FOREIGN KEY ("requirement_id") REFERENCES "requirement"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "soa_version" ADD CONSTRAINT "FK_6c764f0547805b8245fac2fe9df" FOREIGN KEY ("scope_id") REFERENCES "scope"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "soa_version" ADD CONSTRAINT "FK_00fb0e862bd4a8b7780cb7832de" FOREIGN KEY ("approver_id") REFERENCES "owner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "evidence" ADD CONSTRAINT "FK_d2bfb9a6b61d6eaca745186186a" FOREIGN KEY ("control_id") REFERENCES "control"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "evidence" ADD CONSTRAINT "FK_d574def13b12a59211fd3f4c724" FOREIGN KEY ("owner_id") REFERENCES "owner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "evidence" DROP CONSTRAINT "FK_d574def13b12a59211fd3f4c724"`);
    await queryRunner.query(`ALTER TABLE "evidence" DROP CONSTRAINT "FK_d2bfb9a6b61d6eaca745186186a"`);
    await queryRunner.query(`ALTER TABLE "soa_version" DROP CONSTRAINT "FK_00fb0e862bd4a8b7780cb7832de"`);
    await queryRunner.query(`ALTER TABLE "soa_version" DROP CONSTRAINT "FK_6c764f0547805b8245fac2fe9df"`);
    await queryRunner.query(`ALTER TABLE "soa_entry" DROP CONSTRAINT "FK_584d97fa24367a2d959d32f4cb4"`);
    await queryRunner.query(`ALTER TABLE "soa_entry" DROP CONSTRAINT "FK_9813171808ed7373ba07367798c"`);
    await queryRunner.query(`ALTER TABLE "scope_framework" DROP CONSTRAINT "FK_5e4c3b51d18d9e4973ba0f2b78d"`);
    await queryRunner.query(`ALTER TABLE "scope_framework" DROP CONSTRAINT "FK_ba6f32b661dfe96ffa312b936c8"`);
    await queryRunner.query(`ALTER TABLE "exception" DROP CONSTRAINT "FK_e7a3faa40a0ff25079173700ff2"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_e7a3faa40a0ff25079173700ff"`);
    await queryRunner.query(`ALTER TABLE "exception" DROP COLUMN "requirement_id"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_50e4075e60d181250eb64fd3af"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_d574def13b12a59211fd3f4c72"`);
    await queryRunner.query(`DROP TABLE "evidence"`);
    await queryRunner.query(`DROP TYPE "public"."evidence_kind"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_bedee8dfd9b321556a4f6d5ec0"`);
    await queryRunner.query(`DROP TABLE "soa_version"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_7950f9104322ae0a7e51762d26"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_584d97fa24367a2d959d32f4cb"`);
    await queryRunner.query(`DROP TABLE "soa_entry"`);
    await queryRunner.query(`DROP TYPE "public"."applicability"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_5e4c3b51d18d9e4973ba0f2b78"`);
    await queryRunner.query(`DROP TABLE "scope_framework"`);
  }
}
