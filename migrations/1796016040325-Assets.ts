import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Assets1796016040325 implements MigrationInterface {
  name = 'Assets1796016040325';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE "public"."asset_kind" AS ENUM('INFORMATION', 'APPLICATION', 'INFRASTRUCTURE', 'SERVICE', 'SUPPLIER', 'NON_HUMAN_IDENTITY')`);
    await queryRunner.query(`CREATE TYPE "public"."criticality" AS ENUM('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')`);
    await queryRunner.query(`CREATE TYPE "public"."nhi_kind" AS ENUM('SERVICE_ACCOUNT', 'API_KEY', 'OAUTH_CLIENT', 'SECRET', 'CERTIFICATE', 'WORKLOAD_IDENTITY', 'AI_AGENT')`);
    await queryRunner.query(`CREATE TABLE "asset" ("id" uuid NOT NULL, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "archived_at" TIMESTAMP(3) WITH TIME ZONE, "name" text NOT NULL, "kind" "public"."asset_kind" NOT NULL, "description" text, "owner_id" uuid, "criticality" "public"."criticality" NOT NULL DEFAULT 'MEDIUM', "external_id" text, "source_system" text, "nhi_kind" "public"."nhi_kind", "environments" text array NOT NULL DEFAULT '{}', "privileged" boolean NOT NULL DEFAULT false, "human_use" boolean NOT NULL DEFAULT false, "last_rotated_at" TIMESTAMP(3) WITH TIME ZONE, "rotation_interval_days" integer, "expires_at" TIMESTAMP(3) WITH TIME ZONE, "last_used_at" TIMESTAMP(3) WITH TIME ZONE, "revoked_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "PK_1209d107fe21482beaea51b745e" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_d2814d92d19fb6e39a7f811240" ON "asset"  ("kind") `);
    await queryRunner.query(`CREATE INDEX "IDX_fd773efb2eff5ead1948f3dc1f" ON "asset"  ("owner_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_ab7ee6d032c0f4c7a570bcfd13" ON "asset"  ("nhi_kind") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_f8369ac96edbd412aefbf85882" ON "asset"  ("source_system", "external_id") WHERE "source_system" IS NOT NULL AND "external_id" IS NOT NULL`);
    await queryRunner.query(`CREATE TABLE "asset_scope" ("asset_id" uuid NOT NULL, "scope_id" uuid NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_744491374b0ed88bd7de97d6a87" PRIMARY KEY ("asset_id", "scope_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_36d5e3baae5521d43c526917d9" ON "asset_scope"  ("scope_id") `);
    await queryRunner.query(`CREATE TABLE "asset_consumer" ("asset_id" uuid NOT NULL, "consumer_id" uuid NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e836c6b9b45fa159c849661d608" PRIMARY KEY ("asset_id", "consumer_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_e5691c33a3d7d71939bfbece5f" ON "asset_consumer"  ("consumer_id") `);
    await queryRunner.query(`CREATE TABLE "risk_asset" ("risk_id" uuid NOT NULL, "asset_id" uuid NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_dbe744626773bbb7d65e4aab564" PRIMARY KEY ("risk_id", "asset_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_224ff3f0481babdef899c14664" ON "risk_asset"  ("asset_id") `);
    await queryRunner.query(`CREATE TABLE "control_asset" ("control_id" uuid NOT NULL, "asset_id" uuid NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_132902c92736e7a823274863389" PRIMARY KEY ("control_id", "asset_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_8abb7f9d52dd58989a5f6b81c4" ON "control_asset"  ("asset_id") `);
    await queryRunner.query(`CREATE TYPE "public"."lifecycle_event_kind" AS ENUM('CREATED', 'IMPORTED', 'UPDATED', 'ROTATED', 'REVOKED', 'ARCHIVED')`);
    await queryRunner.query(`CREATE TABLE "asset_lifecycle_event" ("id" uuid NOT NULL, "asset_id" uuid NOT NULL, "kind" "public"."lifecycle_event_kind" NOT NULL, "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "notes" text, "actor_key_id" uuid, CONSTRAINT "PK_b6fcfa8e74b6f7618f8e6f7a5a2" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_a6bcb61a43fc187846c12686a1" ON "asset_lifecycle_event"  ("asset_id", "at") `);
    await queryRunner.query(`ALTER TABLE "asset" ADD CONSTRAINT "FK_fd773efb2eff5ead1948f3dc1f9" FOREIGN KEY ("owner_id") REFERENCES "owner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "asset_scope" ADD CONSTRAINT "FK_0b311391fd5b969e6e5ec801275" FOREIGN KEY ("asset_id") REFERENCES "asset"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "asset_scope" ADD CONSTRAINT "FK_36d5e3baae5521d43c526917d97" FOREIGN KEY ("scope_id") REFERENCES "scope"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "asset_consumer" ADD CONSTRAINT "FK_1e1cf0a31433871e24ac33c10d5" FOREIGN KEY ("asset_id") REFERENCES "asset"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "asset_consumer" ADD CONSTRAINT "FK_e5691c33a3d7d71939bfbece5f3" FOREIGN KEY ("consumer_id") REFERENCES "asset"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "risk_asset" ADD CONSTRAINT "FK_551aa5b45bfaf3893f3e84f8507" FOREIGN KEY ("risk_id") REFERENCES "risk"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "risk_asset" ADD CONSTRAINT "FK_224ff3f0481babdef899c146644" FOREIGN KEY ("asset_id") REFERENCES "asset"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "control_asset" ADD CONSTRAINT "FK_495d4794623da14d4fdc5717a6a" FOREIGN KEY ("control_id") REFERENCES "control"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "control_asset" ADD CONSTRAINT "FK_8abb7f9d52dd58989a5f6b81c4f" FOREIGN KEY ("asset_id") REFERENCES "asset"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "asset_lifecycle_event" ADD CONSTRAINT "FK_a9418e71c2b9ba72d7dedddbf85" FOREIGN KEY ("asset_id") REFERENCES "asset"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "asset_lifecycle_event" DROP CONSTRAINT "FK_a9418e71c2b9ba72d7dedddbf85"`);
    await queryRunner.query(`ALTER TABLE "control_asset" DROP CONSTRAINT "FK_8abb7f9d52dd58989a5f6b81c4f"`);
    await queryRunner.query(`ALTER TABLE "control_asset" DROP CONSTRAINT "FK_495d4794623da14d4fdc5717a6a"`);
    await queryRunner.query(`ALTER TABLE "risk_asset" DROP CONSTRAINT "FK_224ff3f0481babdef899c146644"`);
    await queryRunner.query(`ALTER TABLE "risk_asset" DROP CONSTRAINT "FK_551aa5b45bfaf3893f3e84f8507"`);
    await queryRunner.query(`ALTER TABLE "asset_consumer" DROP CONSTRAINT "FK_e5691c33a3d7d71939bfbece5f3"`);
    await queryRunner.query(`ALTER TABLE "asset_consumer" DROP CONSTRAINT "FK_1e1cf0a31433871e24ac33c10d5"`);
    await queryRunner.query(`ALTER TABLE "asset_scope" DROP CONSTRAINT "FK_36d5e3baae5521d43c526917d97"`);
    await queryRunner.query(`ALTER TABLE "asset_scope" DROP CONSTRAINT "FK_0b311391fd5b969e6e5ec801275"`);
    await queryRunner.query(`ALTER TABLE "asset" DROP CONSTRAINT "FK_fd773efb2eff5ead1948f3dc1f9"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_a6bcb61a43fc187846c12686a1"`);
    await queryRunner.query(`DROP TABLE "asset_lifecycle_event"`);
    await queryRunner.query(`DROP TYPE "public"."lifecycle_event_kind"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_8abb7f9d52dd58989a5f6b81c4"`);
    await queryRunner.query(`DROP TABLE "control_asset"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_224ff3f0481babdef899c14664"`);
    await queryRunner.query(`DROP TABLE "risk_asset"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_e5691c33a3d7d71939bfbece5f"`);
    await queryRunner.query(`DROP TABLE "asset_consumer"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_36d5e3baae5521d43c526917d9"`);
    await queryRunner.query(`DROP TABLE "asset_scope"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_f8369ac96edbd412aefbf85882"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_ab7ee6d032c0f4c7a570bcfd13"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_fd773efb2eff5ead1948f3dc1f"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_d2814d92d19fb6e39a7f811240"`);
    await queryRunner.query(`DROP TABLE "asset"`);
    await queryRunner.query(`DROP TYPE "public"."nhi_kind"`);
    await queryRunner.query(`DROP TYPE "public"."criticality"`);
    await queryRunner.query(`DROP TYPE "public"."asset_kind"`);
  }
}
