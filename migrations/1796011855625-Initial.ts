import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1796011855625 implements MigrationInterface {
  name = 'Initial1796011855625';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE "public"."owner_kind" AS ENUM('PERSON', 'TEAM')`);
    await queryRunner.query(`CREATE TABLE "owner" ("id" uuid NOT NULL, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "archived_at" TIMESTAMP(3) WITH TIME ZONE, "kind" "public"."owner_kind" NOT NULL, "name" text NOT NULL, "email" text, CONSTRAINT "PK_8e86b6b9f94aece7d12d465dc0c" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_1edb5a8c7210a79e24e7ea74a5" ON "owner"  ("name") `);
    await queryRunner.query(`CREATE TABLE "api_key" ("id" uuid NOT NULL, "name" text NOT NULL, "prefix" text NOT NULL, "secret_hash" text NOT NULL, "owner_id" uuid NOT NULL, "permissions" text array NOT NULL, "scope_ids" uuid array, "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "last_used_at" TIMESTAMP(3) WITH TIME ZONE, "revoked_at" TIMESTAMP(3) WITH TIME ZONE, "created_by_key_id" uuid, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b1bd840641b8acbaad89c3d8d11" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_b227edd98d489363d65e908e60" ON "api_key"  ("secret_hash") `);
    await queryRunner.query(`CREATE INDEX "IDX_b11eedeb1df210081677dbf868" ON "api_key"  ("owner_id") `);
    await queryRunner.query(`CREATE TABLE "audit_event" ("id" uuid NOT NULL, "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "actor_key_id" uuid, "operation" text NOT NULL, "entity_type" text NOT NULL, "entity_id" uuid NOT NULL, "before" jsonb, "after" jsonb, "request_id" text NOT NULL, CONSTRAINT "PK_481efbe8b0a403efe3f47a6528f" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_06d570d7d1b40fbc994b5955be" ON "audit_event"  ("at") `);
    await queryRunner.query(`CREATE INDEX "IDX_c0ea392536b5c4cba7012b6f7b" ON "audit_event"  ("entity_type", "entity_id") `);
    await queryRunner.query(`CREATE TABLE "idempotency_key" ("api_key_id" uuid NOT NULL, "operation" text NOT NULL, "key" text NOT NULL, "request_hash" text NOT NULL, "entity_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_36f11dffa10749537a755a9b450" PRIMARY KEY ("api_key_id", "operation", "key"))`);
    await queryRunner.query(`CREATE TYPE "public"."certification" AS ENUM('CERTIFIABLE', 'GUIDANCE_ONLY')`);
    await queryRunner.query(`CREATE TABLE "scope" ("id" uuid NOT NULL, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "archived_at" TIMESTAMP(3) WITH TIME ZONE, "key" text NOT NULL, "name" text NOT NULL, "description" text, "inclusions" text array NOT NULL DEFAULT '{}', "exclusions" text array NOT NULL DEFAULT '{}', "certification" "public"."certification" NOT NULL, "owner_id" uuid NOT NULL, "parent_id" uuid, "risk_appetite" integer NOT NULL DEFAULT '9', CONSTRAINT "PK_d3425631cbb370861a58c3e88c7" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_cea8d7f2228efb6c58f5ae383d" ON "scope"  ("key") `);
    await queryRunner.query(`CREATE INDEX "IDX_77925d9cacc37d5c5104bc9e1c" ON "scope"  ("owner_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_5fe8301270c75d02c3eb3433dd" ON "scope"  ("parent_id") `);
    await queryRunner.query(`ALTER TABLE "api_key" ADD CONSTRAINT "FK_b11eedeb1df210081677dbf8687" FOREIGN KEY ("owner_id") REFERENCES "owner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "scope" ADD CONSTRAINT "FK_77925d9cacc37d5c5104bc9e1ce" FOREIGN KEY ("owner_id") REFERENCES "owner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "scope" ADD CONSTRAINT "FK_5fe8301270c75d02c3eb3433dd4" FOREIGN KEY ("parent_id") REFERENCES "scope"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "scope" DROP CONSTRAINT "FK_5fe8301270c75d02c3eb3433dd4"`);
    await queryRunner.query(`ALTER TABLE "scope" DROP CONSTRAINT "FK_77925d9cacc37d5c5104bc9e1ce"`);
    await queryRunner.query(`ALTER TABLE "api_key" DROP CONSTRAINT "FK_b11eedeb1df210081677dbf8687"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_5fe8301270c75d02c3eb3433dd"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_77925d9cacc37d5c5104bc9e1c"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_cea8d7f2228efb6c58f5ae383d"`);
    await queryRunner.query(`DROP TABLE "scope"`);
    await queryRunner.query(`DROP TYPE "public"."certification"`);
    await queryRunner.query(`DROP TABLE "idempotency_key"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_c0ea392536b5c4cba7012b6f7b"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_06d570d7d1b40fbc994b5955be"`);
    await queryRunner.query(`DROP TABLE "audit_event"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_b11eedeb1df210081677dbf868"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_b227edd98d489363d65e908e60"`);
    await queryRunner.query(`DROP TABLE "api_key"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_1edb5a8c7210a79e24e7ea74a5"`);
    await queryRunner.query(`DROP TABLE "owner"`);
    await queryRunner.query(`DROP TYPE "public"."owner_kind"`);
  }
}
