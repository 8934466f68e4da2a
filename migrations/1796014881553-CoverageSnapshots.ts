import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CoverageSnapshots1796014881553 implements MigrationInterface {
  name = 'CoverageSnapshots1796014881553';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "coverage_snapshot" ("id" uuid NOT NULL, "scope_id" uuid NOT NULL, "framework_id" uuid NOT NULL, "day" date NOT NULL, "taken_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "total" integer NOT NULL, "covered" integer NOT NULL, "excluded" integer NOT NULL, "excepted" integer NOT NULL, "partial" integer NOT NULL, "not_covered" integer NOT NULL, "covered_pct" numeric(4,1) NOT NULL, "excepted_pct" numeric(4,1) NOT NULL, "partial_pct" numeric(4,1) NOT NULL, "not_covered_pct" numeric(4,1) NOT NULL, CONSTRAINT "PK_9ca1975336ee78a302856b9e6f3" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_e30184539c57772e6b94c07753" ON "coverage_snapshot"  ("framework_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_d9aca94b0e755d3407339ed76e" ON "coverage_snapshot"  ("scope_id", "framework_id", "day") `);
    await queryRunner.query(`ALTER TABLE "coverage_snapshot" ADD CONSTRAINT "FK_f8aaaed35852a8d2728ff29a569" FOREIGN KEY ("scope_id") REFERENCES "scope"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "coverage_snapshot" ADD CONSTRAINT "FK_e30184539c57772e6b94c077533" FOREIGN KEY ("framework_id") REFERENCES "framework"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "coverage_snapshot" DROP CONSTRAINT "FK_e30184539c57772e6b94c077533"`);
    await queryRunner.query(`ALTER TABLE "coverage_snapshot" DROP CONSTRAINT "FK_f8aaaed35852a8d2728ff29a569"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_d9aca94b0e755d3407339ed76e"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_e30184539c57772e6b94c07753"`);
    await queryRunner.query(`DROP TABLE "coverage_snapshot"`);
  }
}
