import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Catalogs1796012535575 implements MigrationInterface {
  name = 'Catalogs1796012535575';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE "public"."framework_kind" AS ENUM('MANAGEMENT_SYSTEM', 'CONTROL_CATALOG', 'RISK_TAXONOMY')`);
    await queryRunner.query(`CREATE TABLE "framework" ("id" uuid NOT NULL, "key" text NOT NULL, "version" text NOT NULL, "name" text NOT NULL, "kind" "public"."framework_kind" NOT NULL, "publisher" text, "licence" text, "source_url" text, "attribution" text, "built_in" boolean NOT NULL DEFAULT false, "revision" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "archived_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "PK_413064c9a2fb226f0d933712883" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_7786cbde8b0cd5da1c30c091e0" ON "framework"  ("key", "version") `);
    await queryRunner.query(`CREATE TYPE "public"."requirement_kind" AS ENUM('CLAUSE', 'THEME', 'CONTROL', 'FUNCTION', 'CATEGORY', 'SUBCATEGORY', 'GROUP', 'RISK')`);
    await queryRunner.query(`CREATE TABLE "requirement" ("id" uuid NOT NULL, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "archived_at" TIMESTAMP(3) WITH TIME ZONE, "framework_id" uuid NOT NULL, "code" text NOT NULL, "title" text NOT NULL, "text" text, "kind" "public"."requirement_kind" NOT NULL, "assessable" boolean NOT NULL, "parent_id" uuid, "position" integer NOT NULL, "aliases" text array NOT NULL DEFAULT '{}', "withdrawn" boolean NOT NULL DEFAULT false, "examples" text array NOT NULL DEFAULT '{}', "url" text, "attribute_values" jsonb NOT NULL DEFAULT '{}', CONSTRAINT "PK_5e3278ee8e2094dd0f10a4aec62" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_0a6f658114521fec9a404e1994" ON "requirement"  ("parent_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_94eb795083acf4becadd8d182f" ON "requirement"  ("framework_id", "position") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_5d361655296b834e005df7c66a" ON "requirement"  ("framework_id", "code") `);
    await queryRunner.query(`CREATE TABLE "control_requirement" ("control_id" uuid NOT NULL, "requirement_id" uuid NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_928004726e25af8222c3371fb08" PRIMARY KEY ("control_id", "requirement_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_81eb0d0d1cf014c07991234a2f" ON "control_requirement"  ("requirement_id") `);
    await queryRunner.query(`CREATE TYPE "public"."crosswalk_method" AS ENUM('MANUAL', 'IMPORTED', 'DERIVED')`);
    await queryRunner.query(`CREATE TYPE "public"."crosswalk_status" AS ENUM('DRAFT', 'APPROVED')`);
    await queryRunner.query(`CREATE TABLE "crosswalk" ("id" uuid NOT NULL, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "archived_at" TIMESTAMP(3) WITH TIME ZONE, "key" text NOT NULL, "name" text NOT NULL, "source_framework_id" uuid NOT NULL, "target_framework_id" uuid NOT NULL, "source" text NOT NULL, "method" "public"."crosswalk_method" NOT NULL, "status" "public"."crosswalk_status" NOT NULL DEFAULT 'DRAFT', "built_in" boolean NOT NULL DEFAULT false, CONSTRAINT "PK_15fda3e3a68a2a8423173bfbb1f" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_95fa9c560893e4e879b2324ee4" ON "crosswalk"  ("key") `);
    await queryRunner.query(`CREATE INDEX "IDX_a500ff1f05dd65701d964905ac" ON "crosswalk"  ("source_framework_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_7ede845c70e59cf5780a09b912" ON "crosswalk"  ("target_framework_id") `);
    await queryRunner.query(`CREATE TYPE "public"."relationship" AS ENUM('EQUAL', 'SUBSET_OF', 'SUPERSET_OF', 'INTERSECTS_WITH', 'NOT_RELATED')`);
    await queryRunner.query(`CREATE TYPE "public"."mapping_rationale" AS ENUM('SYNTACTIC', 'SEMANTIC', 'FUNCTIONAL')`);
    await queryRunner.query(`CREATE TABLE "mapping" ("id" uuid NOT NULL, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "archived_at" TIMESTAMP(3) WITH TIME ZONE, "crosswalk_id" uuid NOT NULL, "source_requirement_id" uuid NOT NULL, "target_requirement_id" uuid NOT NULL, "relationship" "public"."relationship" NOT NULL, "rationale" "public"."mapping_rationale", "strength" smallint, "notes" text, CONSTRAINT "PK_63215a5148ef25e4bd227cd1bdf" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_3dae5d674f423a290dc6efcde7" ON "mapping"  ("source_requirement_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_a4855d33e77007f8a9efb76620" ON "mapping"  ("target_requirement_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_4a820250e014e53c3574bb32d0" ON "mapping"  ("crosswalk_id", "source_requirement_id", "target_requirement_id") `);
    await queryRunner.query(`CREATE TABLE "risk_threat" ("risk_id" uuid NOT NULL, "requirement_id" uuid NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_f9f5cfb6435145c8ca3addbe08b" PRIMARY KEY ("risk_id", "requirement_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_bf38b06b3614b7e46cbe6c7e1d" ON "risk_threat"  ("requirement_id") `);
    await queryRunner.query(`ALTER TABLE "requirement" ADD CONSTRAINT "FK_a88ff44ddbc87d7ccc22ff83108" FOREIGN KEY ("framework_id") REFERENCES "framework"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "requirement" ADD CONSTRAINT "FK_0a6f658114521fec9a404e1994b" FOREIGN KEY ("parent_id") REFERENCES "requirement"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "control_requirement" ADD CONSTRAINT "FK_34e2baa9a1ec6153c6427b7ad94" FOREIGN KEY ("control_id") REFERENCES "control"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "control_requirement" ADD CONSTRAINT "FK_81eb0d0d1cf014c07991234a2f0" FOREIGN KEY ("requirement_id") REFERENCES "requirement"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "crosswalk" ADD CONSTRAINT "FK_a500ff1f05dd65701d964905ac5" FOREIGN KEY ("source_framework_id") REFERENCES "framework"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "crosswalk" ADD CONSTRAINT "FK_7ede845c70e59cf5780a09b9123" FOREIGN KEY ("target_framework_id") REFERENCES "framework"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "mapping" ADD CONSTRAINT "FK_7cc5d778f120259d2c1e4275d05" FOREIGN KEY ("crosswalk_id") REFERENCES "crosswalk"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "mapping" ADD CONSTRAINT "FK_3dae5d674f423a290dc6efcde7e" FOREIGN KEY ("source_requirement_id") REFERENCES "requirement"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "mapping" ADD CONSTRAINT "FK_a4855d33e77007f8a9efb766205" FOREIGN KEY ("target_requirement_id") REFERENCES "requirement"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "risk_threat" ADD CONSTRAINT "FK_9ee77fd5a8fa24b8af4d2e61c1f" FOREIGN KEY ("risk_id") REFERENCES "risk"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "risk_threat" ADD CONSTRAINT "FK_bf38b06b3614b7e46cbe6c7e1d3" FOREIGN KEY ("requirement_id") REFERENCES "requirement"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "risk_threat" DROP CONSTRAINT "FK_bf38b06b3614b7e46cbe6c7e1d3"`);
    await queryRunner.query(`ALTER TABLE "risk_threat" DROP CONSTRAINT "FK_9ee77fd5a8fa24b8af4d2e61c1f"`);
    await queryRunner.query(`ALTER TABLE "mapping" DROP CONSTRAINT "FK_a4855d33e77007f8a9efb766205"`);
    await queryRunner.query(`ALTER TABLE "mapping" DROP CONSTRAINT "FK_3dae5d674f423a290dc6efcde7e"`);
    await queryRunner.query(`ALTER TABLE "mapping" DROP CONSTRAINT "FK_7cc5d778f120259d2c1e4275d05"`);
    await queryRunner.query(`ALTER TABLE "crosswalk" DROP CONSTRAINT "FK_7ede845c70e59cf5780a09b9123"`);
    await queryRunner.query(`ALTER TABLE "crosswalk" DROP CONSTRAINT "FK_a500ff1f05dd65701d964905ac5"`);
    await queryRunner.query(`ALTER TABLE "control_requirement" DROP CONSTRAINT "FK_81eb0d0d1cf014c07991234a2f0"`);
    await queryRunner.query(`ALTER TABLE "control_requirement" DROP CONSTRAINT "FK_34e2baa9a1ec6153c6427b7ad94"`);
    await queryRunner.query(`ALTER TABLE "requirement" DROP CONSTRAINT "FK_0a6f658114521fec9a404e1994b"`);
    await queryRunner.query(`ALTER TABLE "requirement" DROP CONSTRAINT "FK_a88ff44ddbc87d7ccc22ff83108"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_bf38b06b3614b7e46cbe6c7e1d"`);
    await queryRunner.query(`DROP TABLE "risk_threat"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_4a820250e014e53c3574bb32d0"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_a4855d33e77007f8a9efb76620"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_3dae5d674f423a290dc6efcde7"`);
    await queryRunner.query(`DROP TABLE "mapping"`);
    await queryRunner.query(`DROP TYPE "public"."mapping_rationale"`);
    await queryRunner.query(`DROP TYPE "public"."relationship"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_7ede845c70e59cf5780a09b912"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_a500ff1f05dd65701d964905ac"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_95fa9c560893e4e879b2324ee4"`);
    await queryRunner.query(`DROP TABLE "crosswalk"`);
    await queryRunner.query(`DROP TYPE "public"."crosswalk_status"`);
    await queryRunner.query(`DROP TYPE "public"."crosswalk_method"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_81eb0d0d1cf014c07991234a2f"`);
    await queryRunner.query(`DROP TABLE "control_requirement"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_5d361655296b834e005df7c66a"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_94eb795083acf4becadd8d182f"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_0a6f658114521fec9a404e1994"`);
    await queryRunner.query(`DROP TABLE "requirement"`);
    await queryRunner.query(`DROP TYPE "public"."requirement_kind"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_7786cbde8b0cd5da1c30c091e0"`);
    await queryRunner.query(`DROP TABLE "framework"`);
    await queryRunner.query(`DROP TYPE "public"."framework_kind"`);
  }
}
