import { createHash, randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startTestApp, ok, errorCode, type TestApp } from './helpers/app';
import { postGql, rawGet, rawPost, wsRequest } from './helpers/http';
import { Permission } from '../src/auth/permissions';

/** Operation allow-lists: a bound key runs only the documents registered for it, by their exact hash. */

let app: TestApp;
const clients: Client[] = [];
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await app.close();
});

const REGISTER = 'mutation($input: RegisterAllowedOperationInput!) { registerAllowedOperation(input: $input) { id name documentHash document createdByKeyId } }';
const BIND = 'mutation($k: ID!, $ops: [ID!]!) { bindApiKeyToAllowList(keyId: $k, operationIds: $ops) { id allowListBound allowedOperations { id name } } }';
const UNBIND = 'mutation($k: ID!, $ops: [ID!]) { unbindApiKeyFromAllowList(keyId: $k, operationIds: $ops) { id allowListBound allowedOperations { id } } }';

const RISK_REGISTER = `query RiskRegister($first: Int) {
  risks(first: $first) { totalCount edges { node { id title residualScore } } }
}`;
const OWNERS = 'query Owners { owners(first: 5) { totalCount } }';
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
let seq = 0;

async function register(document: string, name = `op-${++seq}`): Promise<{ id: string; documentHash: string }> {
  return ok(await app.gql(REGISTER, { input: { name, document } })).registerAllowedOperation;
}

describe('registering operations', () => {
  test('a document is stored with the SHA-256 of its exact text; the same text again is CONFLICT', async () => {
    const doc = `query Registered${++seq} { frameworks(first: 1) { totalCount } }`;
    const op = ok(await app.gql(REGISTER, { input: { name: '  bi-frameworks  ', document: doc } })).registerAllowedOperation;
    expect(op).toMatchObject({ name: 'bi-frameworks', document: doc, documentHash: sha256(doc), createdByKeyId: expect.any(String) });
    const again = await app.gql(REGISTER, { input: { name: 'other name', document: doc } });
    expect(errorCode(again)).toBe('CONFLICT');
    expect(again.errors![0].message).toContain(op.id);
    // another spelling of the same query is another document
    ok(await app.gql(REGISTER, { input: { name: 'spaced', document: `${doc}\n` } }));
    const audit = await app.sql(`SELECT entity_type FROM audit_event WHERE operation = 'registerAllowedOperation' AND entity_id = $1`, [op.id]);
    expect(audit).toEqual([{ entity_type: 'ALLOWED_OPERATION' }]);
  });

  test('a document that does not parse, or an empty name, is BAD_USER_INPUT and nothing is written', async () => {
    const [before] = await app.sql('SELECT count(*)::int AS n FROM allowed_operation');
    const broken = await app.gql(REGISTER, { input: { name: 'broken', document: 'query { risks(' } });
    expect(errorCode(broken)).toBe('BAD_USER_INPUT');
    expect(broken.errors![0].extensions.field).toBe('document');
    expect(errorCode(await app.gql(REGISTER, { input: { name: '   ', document: '{ owners { totalCount } }' } }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(REGISTER, { input: { name: 'empty', document: '' } }))).toBe('BAD_USER_INPUT');
    expect(await app.sql('SELECT count(*)::int AS n FROM allowed_operation')).toEqual([before]);
  });
});

describe('a key bound to an allow-list', () => {
  let bi: { id: string; secret: string };
  let riskOp: { id: string; documentHash: string };

  beforeAll(async () => {
    bi = await app.createKey([Permission.ISMS_READ]);
    riskOp = await register(RISK_REGISTER, 'bi-risk-register');
    // before binding, the key runs anything its permission allows
    ok(await app.gql(OWNERS, {}, bi.secret));
    const bound = ok(await app.gql(BIND, { k: bi.id, ops: [riskOp.id] })).bindApiKeyToAllowList;
    expect(bound).toEqual({ id: bi.id, allowListBound: true, allowedOperations: [{ id: riskOp.id, name: 'bi-risk-register' }] });
  });

  test('runs its registered document with any variables, over HTTP POST and GET', async () => {
    const res = await app.gql(RISK_REGISTER, { first: 3 }, bi.secret);
    expect(ok(res).risks.totalCount).toBeGreaterThanOrEqual(0);
    ok(await app.gql(RISK_REGISTER, { first: 1 }, bi.secret));
    const get = await rawGet(app, `/graphql?query=${encodeURIComponent(RISK_REGISTER)}&variables=${encodeURIComponent('{"first":2}')}`,
      { authorization: `Bearer ${bi.secret}`, 'apollo-require-preflight': 'true' });
    expect(get.status).toBe(200);
    expect(get.json.errors).toBeUndefined();
  });

  test('anything else is FORBIDDEN (HTTP 403) before it runs: another query, the same query spelled differently, introspection, a mutation', async () => {
    for (const query of [OWNERS, RISK_REGISTER.replace('  risks', ' risks'), `${RISK_REGISTER} `, '{ __schema { queryType { name } } }', 'mutation { createOwner(input: { kind: TEAM, name: "x" }) { id } }']) {
      const res = await postGql(app, query, { first: 1 }, bi.secret);
      expect(res.status).toBe(403);
      expect(res.json.errors[0].extensions.code).toBe('FORBIDDEN');
      expect(res.json.data).toBeUndefined();
    }
    expect((await app.sql(`SELECT count(*)::int AS n FROM owner WHERE name = 'x'`))[0].n).toBe(0);
  });

  test('a request without query text (a batch, a persisted-query hash) runs nothing for a bound key', async () => {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${bi.secret}` };
    const batch = await rawPost(app, JSON.stringify([{ query: RISK_REGISTER }]), headers);
    expect(batch.status).toBe(403);
    expect(batch.json.errors[0].extensions.code).toBe('FORBIDDEN');
    const persisted = await rawPost(app, JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(RISK_REGISTER) } } }), headers);
    expect(persisted.status).toBe(403);
    expect(persisted.json.data).toBeUndefined();
  });

  test('over graphql-ws too, checked per operation against the current allow-list', async () => {
    expect((await wsRequest(app, RISK_REGISTER, { first: 1 }, bi.secret)).errors).toBeUndefined();
    await expect(wsRequest(app, OWNERS, {}, bi.secret)).rejects.toEqual([expect.objectContaining({ extensions: { code: 'FORBIDDEN' } })]);

    // a socket opened before its key was bound obeys the binding from then on
    const late = await app.createKey([Permission.ISMS_READ]);
    const client = createClient({ url: `${app.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${late.secret}` }, retryAttempts: 0 });
    clients.push(client);
    const run = (query: string) => new Promise<unknown>((resolve, reject) => {
      client.subscribe({ query }, { next: resolve, error: reject, complete: () => undefined });
    });
    await expect(run(OWNERS)).resolves.toMatchObject({ data: { owners: expect.any(Object) } });
    ok(await app.gql(BIND, { k: late.id, ops: [riskOp.id] }));
    await expect(run(OWNERS)).rejects.toEqual([expect.objectContaining({ extensions: { code: 'FORBIDDEN' } })]);
    await expect(run(RISK_REGISTER)).resolves.toMatchObject({ data: { risks: expect.any(Object) } });
  });

  test('permissions still apply to registered documents', async () => {
    const mutation = await register('mutation AddOwner($name: String!) { createOwner(input: { kind: TEAM, name: $name }) { id } }');
    ok(await app.gql(BIND, { k: bi.id, ops: [mutation.id] }));
    const res = await app.gql('mutation AddOwner($name: String!) { createOwner(input: { kind: TEAM, name: $name }) { id } }', { name: 'via allow-list' }, bi.secret);
    expect(errorCode(res)).toBe('FORBIDDEN');
    ok(await app.gql(UNBIND, { k: bi.id, ops: [mutation.id] }));
  });

  test('allowedOperations lists the registered operations, and those of one key', async () => {
    const other = await register(`{ scopes(first: ${++seq}) { totalCount } }`);
    const all = ok(await app.gql('{ allowedOperations(first: 500) { totalCount edges { node { id documentHash } } } }')).allowedOperations;
    expect(all.edges.map((e: any) => e.node.id)).toEqual(expect.arrayContaining([riskOp.id, other.id]));
    expect(all.totalCount).toBe(all.edges.length);
    const mine = ok(await app.gql('query($k: ID) { allowedOperations(filter: { apiKeyId: $k }) { edges { node { id } } } }', { k: bi.id })).allowedOperations;
    expect(mine.edges.map((e: any) => e.node.id)).toEqual([riskOp.id]);
    const byHash = ok(await app.gql('query($h: String) { allowedOperations(filter: { documentHash: $h }) { edges { node { id } } } }', { h: sha256(RISK_REGISTER) })).allowedOperations;
    expect(byHash.edges.map((e: any) => e.node.id)).toEqual([riskOp.id]);
  });
});

describe('binding and unbinding', () => {
  test('unbinding operations leaves the key bound to what remains (to nothing: it runs nothing); unbinding without ids releases it', async () => {
    const key = await app.createKey([Permission.ISMS_READ]);
    const docA = `query A${++seq} { owners(first: 1) { totalCount } }`;
    const a = await register(docA);
    const b = await register(`query B${++seq} { owners(first: 2) { totalCount } }`);
    ok(await app.gql(BIND, { k: key.id, ops: [a.id, b.id, a.id] }));
    ok(await app.gql(docA, {}, key.secret));
    const partial = ok(await app.gql(UNBIND, { k: key.id, ops: [a.id] })).unbindApiKeyFromAllowList;
    expect(partial).toEqual({ id: key.id, allowListBound: true, allowedOperations: [{ id: b.id }] });
    expect(errorCode(await app.gql(docA, {}, key.secret))).toBe('FORBIDDEN');
    const none = ok(await app.gql(UNBIND, { k: key.id, ops: [b.id] })).unbindApiKeyFromAllowList;
    expect(none).toEqual({ id: key.id, allowListBound: true, allowedOperations: [] });
    expect(errorCode(await app.gql(OWNERS, {}, key.secret))).toBe('FORBIDDEN');
    const released = ok(await app.gql(UNBIND, { k: key.id })).unbindApiKeyFromAllowList;
    expect(released).toEqual({ id: key.id, allowListBound: false, allowedOperations: [] });
    ok(await app.gql(OWNERS, {}, key.secret));
    const audits = await app.sql(`SELECT operation FROM audit_event WHERE entity_id = $1 ORDER BY at, operation`, [key.id]);
    expect(audits.map((r) => r.operation).sort()).toEqual(['bindApiKeyToAllowList', 'unbindApiKeyFromAllowList', 'unbindApiKeyFromAllowList', 'unbindApiKeyFromAllowList']);
  });

  test('binding to an empty list binds the key to nothing', async () => {
    const key = await app.createKey([Permission.ISMS_READ]);
    expect(ok(await app.gql(BIND, { k: key.id, ops: [] })).bindApiKeyToAllowList.allowListBound).toBe(true);
    expect(errorCode(await app.gql(OWNERS, {}, key.secret))).toBe('FORBIDDEN');
  });

  test('an unknown operation is BAD_USER_INPUT (operationIds), an unknown key NOT_FOUND; nothing is written', async () => {
    const key = await app.createKey([Permission.ISMS_READ]);
    const op = await register(`{ owners(first: ${++seq}) { totalCount } }`);
    const unknownOp = await app.gql(BIND, { k: key.id, ops: [op.id, randomUUID()] });
    expect(errorCode(unknownOp)).toBe('BAD_USER_INPUT');
    expect(unknownOp.errors![0].extensions.field).toBe('operationIds');
    expect(errorCode(await app.gql(BIND, { k: key.id, ops: ['not-a-uuid'] }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(BIND, { k: randomUUID(), ops: [op.id] }))).toBe('NOT_FOUND');
    expect(errorCode(await app.gql(UNBIND, { k: randomUUID() }))).toBe('NOT_FOUND');
    expect(await app.sql('SELECT allow_list_bound FROM api_key WHERE id = $1', [key.id])).toEqual([{ allow_list_bound: false }]);
    expect(await app.sql('SELECT count(*)::int AS n FROM api_key_allowed_operation WHERE key_id = $1', [key.id])).toEqual([{ n: 0 }]);
  });

  test('a scope-restricted admin binds only keys confined to its scopes', async () => {
    const [{ id: scopeId }] = await app.sql(`INSERT INTO scope (id, key, name, certification, owner_id) VALUES (gen_random_uuid(), $1, 'allow-list scope', 'CERTIFIABLE', $2) RETURNING id`, [`al-${randomUUID().slice(0, 8)}`, app.ownerId]);
    const admin = await app.createKey([Permission.ADMIN], { scopeIds: [scopeId] });
    const outside = await app.createKey([Permission.ISMS_READ]);
    const inside = await app.createKey([Permission.ISMS_READ], { scopeIds: [scopeId] });
    const op = await register(`{ owners(first: ${++seq}) { totalCount } }`);
    expect(errorCode(await app.gql(BIND, { k: outside.id, ops: [op.id] }, admin.secret))).toBe('NOT_FOUND');
    ok(await app.gql(BIND, { k: inside.id, ops: [op.id] }, admin.secret));
  });
});
