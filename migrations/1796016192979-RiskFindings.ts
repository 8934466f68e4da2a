import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RiskFindings1796016192979 implements MigrationInterface {
  name = 'RiskFindings1796016192979';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "risk_finding" ("scope_id" uuid NOT NULL, "finding_id" uuid NOT NULL, "risk_id" uuid NOT NULL, "rule" text NOT NULL, "asset_id" uuid NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a63d4cf3661057cda09fc357324" PRIMARY KEY ("scope_id", "finding_id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_560b94444275f179f9c7cffeb9" ON "risk_finding"  ("risk_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_bef0ce638bdd276ee9504b1351" ON "risk_finding"  ("asset_id") `);
    await queryRunner.query(`ALTER TABLE "risk_finding" ADD CONSTRAINT "FK_8a43a5be8974388e198a07fef63" FOREIGN KEY ("scope_id") REFERENCES "scope"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "risk_finding" ADD CONSTRAINT "FK_560b94444275f179f9c7cffeb92" FOREIGN KEY ("risk_id") REFERENCES "risk"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "risk_finding" ADD CONSTRAINT "FK_bef0ce638bdd276ee9504b13516" FOREIGN KEY ("asset_id") REFERENCES "asset"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "risk_finding" DROP CONSTRAINT "FK_bef0ce638bdd276ee9504b13516"`);
    await queryRunner.query(`ALTER TABLE "risk_finding" DROP CONSTRAINT "FK_560b94444275f179f9c7cffeb92"`);
    await queryRunner.query(`ALTER TABLE "risk_finding" DROP CONSTRAINT "FK_8a43a5be8974388e198a07fef63"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_bef0ce638bdd276ee9504b1351"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_560b94444275f179f9c7cffeb9"`);
    await queryRunner.query(`DROP TABLE "risk_finding"`);
  }
}
