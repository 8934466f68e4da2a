import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startTestApp, ok, errorCode, type TestApp } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { postGql, wsRequest } from './helpers/http';
import { databaseUrl } from './helpers/db';
import { Permission } from '../src/auth/permissions';
import { generateSecret, isWellFormed, KEY_PATTERN } from '../src/auth/api-key.secret';

/** API keys as governed non-human identities: the inventory record, rotation, revocation, expiry, format. */

const OVERLAP_MS = 1500;
let app: TestApp;
const clients: Client[] = [];

beforeAll(async () => {
  app = await startTestApp({ API_KEY_ROTATION_OVERLAP_MS: String(OVERLAP_MS), API_KEY_ROTATION_DAYS: '30' });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await app.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let seq = 0;
const uniq = (p: string) => `${p}-${++seq}-${randomUUID().slice(0, 8)}`;

const ASSET_FIELDS = `id name kind nhiKind sourceSystem externalId privileged expiresAt rotationIntervalDays lastRotatedAt lastUsedAt revokedAt
  nextRotationAt version createdAt owner { id } scopes { id } lifecycle { kind notes actorKeyId at }`;
const KEY_FIELDS = `id name prefix permissions scopeIds expiresAt lastUsedAt revokedAt previousSecretExpiresAt createdAt asset { ${ASSET_FIELDS} }`;
const CREATE_KEY = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { ${KEY_FIELDS} } } }`;
const ROTATE_KEY = `mutation($id: ID!) { rotateApiKey(id: $id) { secret apiKey { ${KEY_FIELDS} } } }`;
const REVOKE_KEY = `mutation($id: ID!) { revokeApiKey(id: $id) { ${KEY_FIELDS} } }`;
const KEY_BY_ID = 'query { apiKeys(first: 200, filter: { includeInactive: true }) { edges { node { id lastUsedAt asset { lastUsedAt } } } } }';
const WHO = '{ owners(first: 1) { totalCount } }';

async function readKey(id: string): Promise<any> {
  const edges = ok(await app.gql(KEY_BY_ID)).apiKeys.edges as Array<{ node: any }>;
  return edges.find((e) => e.node.id === id)!.node;
}

async function createKey(input: Record<string, unknown> = {}): Promise<{ secret: string; apiKey: any }> {
  return ok(await app.gql(CREATE_KEY, { input: { name: uniq('key'), ownerId: app.ownerId, permissions: ['ISMS_READ'], ...input } })).createApiKey;
}

describe('every key is a non-human identity in the asset inventory', () => {
  test('createApiKey records an API_KEY asset of the key\'s owner and scopes, in the same transaction', async () => {
    const owner = await createOwner(app);
    const scope = await createScope(app);
    const expiresAt = new Date(Date.now() + 10 * 86_400_000).toISOString();
    const { apiKey } = await createKey({ ownerId: owner.id, permissions: ['ADMIN'], scopeIds: [scope.id], expiresAt });
    const asset = apiKey.asset;
    expect(asset).toMatchObject({
      name: apiKey.name, kind: 'NON_HUMAN_IDENTITY', nhiKind: 'API_KEY', sourceSystem: 'isms-graph', externalId: apiKey.id,
      privileged: true, expiresAt, rotationIntervalDays: 30, lastUsedAt: null, revokedAt: null, version: 1,
      owner: { id: owner.id }, scopes: [{ id: scope.id }],
    });
    expect(asset.lastRotatedAt).toBe(asset.createdAt);
    expect(asset.createdAt).toBe(apiKey.createdAt);
    // rotation is due one interval (API_KEY_ROTATION_DAYS) after creation, before the expiry
    expect(new Date(asset.nextRotationAt).getTime()).toBe(Math.min(new Date(asset.lastRotatedAt).getTime() + 30 * 86_400_000, new Date(expiresAt).getTime()));
    expect(asset.lifecycle).toEqual([expect.objectContaining({ kind: 'CREATED', actorKeyId: expect.any(String) })]);
    // the inventory lists it like any identity, and its creation is audited as an asset write
    const listed = ok(await app.gql('query($s: String) { assets(filter: { sourceSystem: $s }, first: 500) { edges { node { id } } } }', { s: 'isms-graph' })).assets.edges;
    expect(listed.map((e: any) => e.node.id)).toContain(asset.id);
    const audits = await app.sql('SELECT operation, entity_type FROM audit_event WHERE entity_id = ANY($1::uuid[]) ORDER BY at, entity_type', [[asset.id, apiKey.id]]);
    expect(audits).toEqual(expect.arrayContaining([{ operation: 'createApiKey', entity_type: 'ASSET' }, { operation: 'createApiKey', entity_type: 'API_KEY' }]));
  });

  test('a failed createApiKey leaves no asset behind', async () => {
    const assetsBefore = await app.sql('SELECT count(*)::int AS n FROM asset');
    const res = await app.gql(CREATE_KEY, { input: { name: uniq('bad'), ownerId: randomUUID(), permissions: ['ISMS_READ'] } });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(await app.sql('SELECT count(*)::int AS n FROM asset')).toEqual(assetsBefore);
  });

  test('the CLI records its key as an asset of the owner it names, audited as the CLI\'s write', async () => {
    const cli = path.join(__dirname, '..', 'dist', 'src', 'cli', 'create-api-key.js');
    const owner = uniq('CLI owner');
    const { stdout } = await promisify(execFile)(process.execPath, [cli, '--name', 'from-cli', '--permissions', 'isms:read,catalog:write', '--owner-name', owner], {
      env: { ...process.env, DATABASE_URL: databaseUrl(app.databaseName), API_KEY_ROTATION_DAYS: '45', LOG_LEVEL: 'silent' },
    });
    const secret = stdout.trim();
    expect(isWellFormed(secret)).toBe(true);
    const [row] = await app.sql(`SELECT k.id, a.id AS asset_id, a.name, a.rotation_interval_days, a.privileged, o.name AS owner
                                   FROM api_key k JOIN asset a ON a.id = k.asset_id JOIN owner o ON o.id = a.owner_id WHERE k.name = 'from-cli'`);
    expect(row).toMatchObject({ name: 'from-cli', rotation_interval_days: 45, privileged: false, owner });
    const audits = await app.sql('SELECT entity_type FROM audit_event WHERE operation = $1 AND entity_id = ANY($2::uuid[]) ORDER BY entity_type', ['cli:createApiKey', [row.id, row.asset_id]]);
    expect(audits.map((a) => a.entity_type)).toEqual(['API_KEY', 'ASSET']);
    ok(await app.gql(WHO, {}, secret));
  });

  test('keys issued outside the API (CLI, helpers: issueKey) are recorded too: every key has its asset', async () => {
    const key = await app.createKey([Permission.TREATMENT_WRITE]);
    const rows = await app.sql(`SELECT k.id, a.external_id, a.source_system, a.nhi_kind, a.owner_id = k.owner_id AS same_owner
                                  FROM api_key k LEFT JOIN asset a ON a.id = k.asset_id`);
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows) expect(row).toEqual({ id: row.id, external_id: row.id, source_system: 'isms-graph', nhi_kind: 'API_KEY', same_owner: true });
    expect(rows.map((r) => r.id)).toContain(key.id);
  });

  test('lastUsedAt is written on the key and mirrored on its asset, at most once a minute', async () => {
    const { apiKey, secret } = await createKey();
    const first = await app.gql(WHO, {}, secret);
    ok(first);
    const used = await readKey(apiKey.id);
    expect(used.lastUsedAt).not.toBeNull();
    expect(used.asset.lastUsedAt).toBe(used.lastUsedAt);
    const second = await app.gql(WHO, {}, secret);
    ok(second);
    // the second request within the minute skips the write: one statement fewer
    expect(second.statements).toBe(first.statements - 1);
    expect((await readKey(apiKey.id)).lastUsedAt).toBe(used.lastUsedAt);
    // a minute later it is written again, on both
    await app.sql(`UPDATE api_key SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, [apiKey.id]);
    ok(await app.gql(WHO, {}, secret));
    const later = await readKey(apiKey.id);
    expect(new Date(later.lastUsedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(later.asset.lastUsedAt).toBe(later.lastUsedAt);
  });
});

describe('rotation', () => {
  test('rotateApiKey issues a new secret for the same key; the old one works until the overlap ends, then is UNAUTHENTICATED', async () => {
    const { apiKey, secret: oldSecret } = await createKey();
    const before = Date.now();
    const rotated = ok(await app.gql(ROTATE_KEY, { id: apiKey.id })).rotateApiKey;
    expect(rotated.secret).not.toBe(oldSecret);
    expect(isWellFormed(rotated.secret)).toBe(true);
    expect(rotated.apiKey).toMatchObject({ id: apiKey.id, name: apiKey.name, permissions: apiKey.permissions, expiresAt: apiKey.expiresAt, prefix: rotated.secret.slice(0, 11) });
    const overlapEnds = new Date(rotated.apiKey.previousSecretExpiresAt).getTime();
    expect(overlapEnds).toBeGreaterThanOrEqual(before + OVERLAP_MS - 50);
    expect(overlapEnds).toBeLessThanOrEqual(Date.now() + OVERLAP_MS + 50);
    // both secrets work during the overlap, as the same key
    ok(await app.gql(WHO, {}, oldSecret));
    ok(await app.gql(WHO, {}, rotated.secret));
    const [{ n }] = await app.sql('SELECT count(*)::int AS n FROM api_key WHERE id = $1', [apiKey.id]);
    expect(n).toBe(1);
    // the asset records the rotation
    const asset = rotated.apiKey.asset;
    expect(asset.version).toBe(2);
    expect(new Date(asset.lastRotatedAt).getTime()).toBeGreaterThan(new Date(apiKey.asset.lastRotatedAt).getTime());
    expect(asset.lifecycle.map((e: any) => e.kind)).toEqual(['ROTATED', 'CREATED']);
    expect(asset.lifecycle[0].notes).toContain(rotated.apiKey.prefix);
    // after the overlap only the new secret works
    await sleep(overlapEnds - Date.now() + 100);
    const late = await app.gql(WHO, {}, oldSecret);
    expect(late.status).toBe(401);
    expect(errorCode(late)).toBe('UNAUTHENTICATED');
    ok(await app.gql(WHO, {}, rotated.secret));
    // audit rows never carry a secret hash
    const audits = await app.sql(`SELECT after::text AS after FROM audit_event WHERE entity_id = $1 AND operation = 'rotateApiKey'`, [apiKey.id]);
    expect(audits).toHaveLength(1);
    expect(audits[0].after).not.toMatch(/secretHash|previousSecretHash/);
  });

  test('a WebSocket opened with the replaced secret is closed once the overlap ends (expiry sweep: within 15 s)', async () => {
    const { apiKey, secret: oldSecret } = await createKey();
    let onClosed!: (e: { code: number; reason: string }) => void;
    let onConnected!: () => void;
    const closed = new Promise<{ code: number; reason: string }>((r) => (onClosed = r));
    const connected = new Promise<void>((r) => (onConnected = r));
    const rotated = ok(await app.gql(ROTATE_KEY, { id: apiKey.id })).rotateApiKey;
    const client = createClient({
      url: `${app.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${oldSecret}` },
      retryAttempts: 0, lazy: false, onNonLazyError: () => undefined,
      on: { connected: () => onConnected(), closed: (e) => onClosed({ code: (e as { code: number }).code, reason: (e as { reason: string }).reason }) },
    });
    clients.push(client);
    client.subscribe({ query: 'subscription { ismsChanged { entityId } }' }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    await connected;
    const result = await Promise.race([closed, sleep(OVERLAP_MS + 17_000).then(() => null)]);
    expect(result).toEqual({ code: 4403, reason: 'API key expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(new Date(rotated.apiKey.previousSecretExpiresAt).getTime());
    // the new secret connects as usual
    expect((await wsRequest(app, WHO, {}, rotated.secret)).errors).toBeUndefined();
  }, 30_000);

  test('a second rotation ends the first secret at once; the second keeps its overlap', async () => {
    const { apiKey, secret: first } = await createKey();
    const second = ok(await app.gql(ROTATE_KEY, { id: apiKey.id })).rotateApiKey.secret;
    const third = ok(await app.gql(ROTATE_KEY, { id: apiKey.id })).rotateApiKey.secret;
    expect(errorCode(await app.gql(WHO, {}, first))).toBe('UNAUTHENTICATED');
    ok(await app.gql(WHO, {}, second));
    ok(await app.gql(WHO, {}, third));
  });

  test('a revoked key is not rotated (INVALID_TRANSITION), an unknown one is NOT_FOUND; nothing is written', async () => {
    const { apiKey } = await createKey();
    ok(await app.gql(REVOKE_KEY, { id: apiKey.id }));
    const [before] = await app.sql('SELECT secret_hash, previous_secret_hash FROM api_key WHERE id = $1', [apiKey.id]);
    expect(errorCode(await app.gql(ROTATE_KEY, { id: apiKey.id }))).toBe('INVALID_TRANSITION');
    expect(errorCode(await app.gql(ROTATE_KEY, { id: randomUUID() }))).toBe('NOT_FOUND');
    expect(await app.sql('SELECT secret_hash, previous_secret_hash FROM api_key WHERE id = $1', [apiKey.id])).toEqual([before]);
  });

  test('a scope-restricted admin rotates only keys confined to its scopes', async () => {
    const scope = await createScope(app);
    const restricted = await app.createKey([Permission.ADMIN], { scopeIds: [scope.id] });
    const { apiKey: outside } = await createKey();
    expect(errorCode(await app.gql(ROTATE_KEY, { id: outside.id }, restricted.secret))).toBe('NOT_FOUND');
    const { apiKey: inside } = await createKey({ scopeIds: [scope.id] });
    ok(await app.gql(ROTATE_KEY, { id: inside.id }, restricted.secret));
  });
});

describe('revocation', () => {
  test('revoking a key stops it over HTTP, closes its open subscription socket and revokes its asset', async () => {
    const { apiKey, secret } = await createKey();
    ok(await app.gql(WHO, {}, secret));
    let onClosed!: (e: { code: number; reason: string }) => void;
    let onConnected!: () => void;
    const closed = new Promise<{ code: number; reason: string }>((r) => (onClosed = r));
    const connected = new Promise<void>((r) => (onConnected = r));
    const client = createClient({
      url: `${app.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${secret}` },
      retryAttempts: 0, lazy: false, onNonLazyError: () => undefined,
      on: { connected: () => onConnected(), closed: (e) => onClosed({ code: (e as { code: number }).code, reason: (e as { reason: string }).reason }) },
    });
    clients.push(client);
    client.subscribe({ query: 'subscription { ismsChanged { entityId } }' }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    await connected;

    const revoked = ok(await app.gql(REVOKE_KEY, { id: apiKey.id })).revokeApiKey;
    const result = await Promise.race([closed, sleep(5000).then(() => null)]);
    expect(result).toEqual({ code: 4403, reason: 'API key revoked' });
    const res = await app.gql(WHO, {}, secret);
    expect(res.status).toBe(401);
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
    await expect(wsRequest(app, WHO, {}, secret)).rejects.toBeDefined();

    expect(revoked.asset.revokedAt).toBe(revoked.revokedAt);
    expect(revoked.asset.nextRotationAt).toBeNull();
    expect(revoked.asset.lifecycle.map((e: any) => e.kind)).toEqual(['REVOKED', 'CREATED']);
    const audit = await app.sql(`SELECT entity_type FROM audit_event WHERE operation = 'revokeApiKey' AND entity_id = ANY($1::uuid[]) ORDER BY entity_type`, [[apiKey.id, revoked.asset.id]]);
    expect(audit.map((a) => a.entity_type)).toEqual(['API_KEY', 'ASSET']);
    // revoking again changes nothing, on the key or the asset
    const again = ok(await app.gql(REVOKE_KEY, { id: apiKey.id })).revokeApiKey;
    expect(again.asset.lifecycle).toHaveLength(2);
    expect(again.asset.version).toBe(revoked.asset.version);
  });
});

describe('expiry', () => {
  test('a key works until expiresAt, then is UNAUTHENTICATED over HTTP and refused over WebSocket', async () => {
    const key = await app.createKey([Permission.ISMS_READ], { expiresAt: new Date(Date.now() + 1500) });
    ok(await app.gql(WHO, {}, key.secret));
    await sleep(1700);
    const res = await app.gql(WHO, {}, key.secret);
    expect(res.status).toBe(401);
    expect(res.errors?.[0]).toMatchObject({ message: 'This API key has expired', extensions: { code: 'UNAUTHENTICATED' } });
    await expect(wsRequest(app, WHO, {}, key.secret)).rejects.toBeDefined();
  });

  test('an expired key is not rotated back to life', async () => {
    const key = await app.createKey([Permission.ISMS_READ], { expiresAt: new Date(Date.now() + 300) });
    await sleep(400);
    expect(errorCode(await app.gql(ROTATE_KEY, { id: key.id }))).toBe('INVALID_TRANSITION');
  });
});

describe('key format', () => {
  test('keys match the documented pattern: isms_ + 40 base62 + 6 base62 of a CRC32 checksum', () => {
    for (let i = 0; i < 200; i += 1) {
      const secret = generateSecret();
      expect(secret).toMatch(/^isms_[0-9A-Za-z]{46}$/);
      expect(KEY_PATTERN.test(secret)).toBe(true);
      expect(isWellFormed(secret)).toBe(true);
    }
  });

  test('a key with one changed character is UNAUTHENTICATED without a database lookup', async () => {
    const { secret } = await createKey();
    ok(await app.gql(WHO, {}, secret));
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    // one character of the random body, and one of the checksum
    for (const position of [5, 20, 44, 47, 50]) {
      const original = secret[position];
      const replacement = alphabet[(alphabet.indexOf(original) + 1) % alphabet.length];
      const typo = secret.slice(0, position) + replacement + secret.slice(position + 1);
      expect(isWellFormed(typo)).toBe(false);
      const res = await app.gql(WHO, {}, typo);
      expect(res.status).toBe(401);
      expect(errorCode(res)).toBe('UNAUTHENTICATED');
      expect(res.statements).toBe(0);
    }
    // a well-formed key that does not exist costs exactly the one lookup
    const unknown = await app.gql(WHO, {}, generateSecret());
    expect(errorCode(unknown)).toBe('UNAUTHENTICATED');
    expect(unknown.statements).toBe(1);
  });

  test('the wrong prefix or length is refused the same way', async () => {
    const { secret } = await createKey();
    for (const bad of [secret.replace('isms_', 'isms-'), secret.slice(0, -1), `${secret}0`, secret.toUpperCase()]) {
      const res = await postGql(app, WHO, {}, bad);
      expect(res.status).toBe(401);
      expect(res.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(res.headers.get('x-sql-statements')).toBe('0');
    }
  });
});

describe('a key\'s inventory record follows the key, not inventory writes', () => {
  test('revoking, rotating or archiving a key\'s asset through the inventory is FORBIDDEN and changes nothing', async () => {
    const owner = await createOwner(app);
    const created = ok(await app.gql(
      'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id asset { id version revokedAt } } } }',
      { input: { name: 'inventory-guard', ownerId: owner.id, permissions: ['ISMS_READ'] } },
    )).createApiKey.apiKey;
    const assetId = created.asset.id;
    const attempts = [
      ['mutation($id: ID!) { revokeNonHumanIdentity(assetId: $id, reason: "try") { id } }', { id: assetId }],
      ['mutation($id: ID!) { recordRotation(assetId: $id) { id } }', { id: assetId }],
      ['mutation($id: ID!) { archiveAsset(id: $id) { id } }', { id: assetId }],
    ] as const;
    for (const [query, variables] of attempts) {
      const res = await app.gql(query, variables as Record<string, unknown>);
      expect(errorCode(res)).toBe('FORBIDDEN');
    }
    const [row] = await app.sql('SELECT version, revoked_at, archived_at, last_rotated_at FROM asset WHERE id = $1', [assetId]);
    expect(row.version).toBe(created.asset.version);
    expect(row.revoked_at).toBeNull();
    expect(row.archived_at).toBeNull();
  });

  test('the key source system is reserved for imports', async () => {
    const res = await app.gql(
      'mutation($input: ImportNonHumanIdentitiesInput!) { importNonHumanIdentities(input: $input) { created } }',
      { input: { document: '[]', format: 'JSON', sourceSystem: 'isms-graph' } },
    );
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
  });
});
