import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AuditScopes1796012940043 implements MigrationInterface {
  name = 'AuditScopes1796012940043';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "audit_event" ADD "scope_ids" uuid array NOT NULL DEFAULT '{}'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "audit_event" DROP COLUMN "scope_ids"`);
  }
}
