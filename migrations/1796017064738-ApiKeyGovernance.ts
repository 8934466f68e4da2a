import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys as governed non-human identities: every key gets an NHI asset (existing keys are
 * recorded here), a previous secret valid through a rotation overlap, its own rate limit and an
 * operation allow-list; rate-limit counters live in an UNLOGGED table (no WAL, not replicated:
 * losing them in a crash only resets the current windows).
 */
export class ApiKeyGovernance1796017064738 implements MigrationInterface {
  name = 'ApiKeyGovernance1796017064738';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "allowed_operation" ("id" uuid NOT NULL, "name" text NOT NULL, "document_hash" text NOT NULL, "document" text NOT NULL, "created_by_key_id" uuid, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_fe8322c299615e8c285c3bbd3a2" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_bf86f63689f0c3513a1c5c735e" ON "allowed_operation"  ("document_hash") `);
    await queryRunner.query(`CREATE TABLE "api_key_allowed_operation" ("key_id" uuid NOT NULL, "operation_id" uuid NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_aa79d5d30038f3058cfe199754a" PRIMARY KEY ("key_id", "operation_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_c6178e46dfc3fa06d7e03530ca" ON "api_key_allowed_operation"  ("operation_id") `);
    await queryRunner.query(`CREATE UNLOGGED TABLE "api_key_rate_window" ("key_id" uuid NOT NULL, "window_start" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "count" integer NOT NULL, CONSTRAINT "PK_04146021e2450185522acd2e2f8" PRIMARY KEY ("key_id", "window_start"))`);
    await queryRunner.query(`CREATE INDEX "IDX_3275a638ba641567ba51f86ec4" ON "api_key_rate_window"  ("window_start") `);
    await queryRunner.query(`ALTER TABLE "api_key" ADD "previous_secret_hash" text`);
    await queryRunner.query(`ALTER TABLE "api_key" ADD "previous_secret_expires_at" TIMESTAMP(3) WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "api_key" ADD "asset_id" uuid`);
    await queryRunner.query(`ALTER TABLE "api_key" ADD "rate_limit_per_minute" integer`);
    await queryRunner.query(`ALTER TABLE "api_key" ADD "allow_list_bound" boolean NOT NULL DEFAULT false`);
    // keys issued before this migration join the inventory as the API creates them now
    await queryRunner.query(`INSERT INTO "asset" ("id", "name", "kind", "description", "owner_id", "external_id", "source_system", "nhi_kind", "privileged",
                                                  "last_rotated_at", "rotation_interval_days", "expires_at", "last_used_at", "revoked_at", "created_at")
      SELECT gen_random_uuid(), k.name, 'NON_HUMAN_IDENTITY', 'isms-graph API key ' || k.prefix || '… (permissions ' || array_to_string(k.permissions, ', ') || ')',
             k.owner_id, k.id::text, 'isms-graph', 'API_KEY', 'admin' = ANY(k.permissions), k.created_at, 90, k.expires_at, k.last_used_at, k.revoked_at, k.created_at
        FROM "api_key" k
      ON CONFLICT ("source_system", "external_id") WHERE "source_system" IS NOT NULL AND "external_id" IS NOT NULL DO NOTHING`);
    await queryRunner.query(`UPDATE "api_key" k SET "asset_id" = a."id" FROM "asset" a WHERE a."source_system" = 'isms-graph' AND a."external_id" = k."id"::text`);
    await queryRunner.query(`INSERT INTO "asset_scope" ("asset_id", "scope_id") SELECT k."asset_id", unnest(k."scope_ids") FROM "api_key" k WHERE k."scope_ids" IS NOT NULL ON CONFLICT DO NOTHING`);
    await queryRunner.query(`INSERT INTO "asset_lifecycle_event" ("id", "asset_id", "kind", "at", "notes", "actor_key_id")
      SELECT gen_random_uuid(), k."asset_id", 'CREATED', k."created_at", 'API key ' || k."name" || ' issued (recorded by the ApiKeyGovernance migration)', k."created_by_key_id" FROM "api_key" k`);
    await queryRunner.query(`INSERT INTO "asset_lifecycle_event" ("id", "asset_id", "kind", "at", "notes")
      SELECT gen_random_uuid(), k."asset_id", 'REVOKED', k."revoked_at", 'API key ' || k."name" || ' revoked' FROM "api_key" k WHERE k."revoked_at" IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "api_key" ALTER COLUMN "asset_id" SET NOT NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_cd9d6f822d916a7fed7cfb81cc" ON "api_key"  ("previous_secret_hash") WHERE "previous_secret_hash" IS NOT NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_5e852d4c1bb4560614eccd49ea" ON "api_key"  ("asset_id") `);
    await queryRunner.query(`ALTER TABLE "api_key" ADD CONSTRAINT "FK_5e852d4c1bb4560614eccd49eac" FOREIGN KEY ("asset_id") REFERENCES "asset"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "api_key_allowed_operation" ADD CONSTRAINT "FK_9455883a9e3ef9ae2d6e3bcd303" FOREIGN KEY ("key_id") REFERENCES "api_key"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "api_key_allowed_operation" ADD CONSTRAINT "FK_c6178e46dfc3fa06d7e03530ca8" FOREIGN KEY ("operation_id") REFERENCES "allowed_operation"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "api_key_allowed_operation" DROP CONSTRAINT "FK_c6178e46dfc3fa06d7e03530ca8"`);
    await queryRunner.query(`ALTER TABLE "api_key_allowed_operation" DROP CONSTRAINT "FK_9455883a9e3ef9ae2d6e3bcd303"`);
    await queryRunner.query(`ALTER TABLE "api_key" DROP CONSTRAINT "FK_5e852d4c1bb4560614eccd49eac"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_5e852d4c1bb4560614eccd49ea"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_cd9d6f822d916a7fed7cfb81cc"`);
    // the keys' assets stay in the inventory (nothing is hard-deleted)
    await queryRunner.query(`ALTER TABLE "api_key" DROP COLUMN "allow_list_bound"`);
    await queryRunner.query(`ALTER TABLE "api_key" DROP COLUMN "rate_limit_per_minute"`);
    await queryRunner.query(`ALTER TABLE "api_key" DROP COLUMN "asset_id"`);
    await queryRunner.query(`ALTER TABLE "api_key" DROP COLUMN "previous_secret_expires_at"`);
    await queryRunner.query(`ALTER TABLE "api_key" DROP COLUMN "previous_secret_hash"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_3275a638ba641567ba51f86ec4"`);
    await queryRunner.query(`DROP TABLE "api_key_rate_window"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_c6178e46dfc3fa06d7e03530ca"`);
    await queryRunner.query(`DROP TABLE "api_key_allowed_operation"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_bf86f63689f0c3513a1c5c735e"`);
    await queryRunner.query(`DROP TABLE "allowed_operation"`);
  }
}
