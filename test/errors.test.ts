import { randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp, type GqlResponse } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { postGql, rawGet, rawPost } from './helpers/http';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const CREATE_SCOPE = 'mutation($input: CreateScopeInput!) { createScope(input: $input) { id } }';
const UPDATE_SCOPE = 'mutation($id: ID!, $input: UpdateScopeInput!, $v: Int!) { updateScope(id: $id, input: $input, expectedVersion: $v) { id } }';
const CREATE_OWNER = 'mutation($input: CreateOwnerInput!) { createOwner(input: $input) { id } }';
const UPDATE_OWNER = 'mutation($id: ID!, $input: UpdateOwnerInput!, $v: Int!) { updateOwner(id: $id, input: $input, expectedVersion: $v) { id } }';

let seq = 0;
const scopeInput = (ownerId: string, extra: Record<string, unknown> = {}) => ({ key: `bad-${++seq}-${randomUUID().slice(0, 6)}`, name: 'Scope', certification: 'CERTIFIABLE', ownerId, ...extra });

async function snapshot() {
  const [counts] = await app.sql(`SELECT (SELECT count(*) FROM scope)::int AS scopes, (SELECT count(*) FROM owner)::int AS owners,
    (SELECT count(*) FROM audit_event)::int AS audits, (SELECT count(*) FROM idempotency_key)::int AS idem,
    (SELECT coalesce(sum(version), 0) FROM scope)::int AS scope_versions, (SELECT coalesce(sum(version), 0) FROM owner)::int AS owner_versions`);
  return counts;
}

function expectCode(res: GqlResponse, code: string, field?: string) {
  expect(res.errors).toHaveLength(1);
  expect(res.errors![0].extensions.code).toBe(code);
  if (field !== undefined) expect(res.errors![0].extensions.field).toBe(field);
  expect(res.data ?? null).toBeNull();
}

describe('bad input is answered with its code, and nothing is written', () => {
  let ownerId: string;
  beforeAll(async () => {
    ownerId = (await createOwner(app)).id;
  });

  test('a wrong enum inline in the query is GRAPHQL_VALIDATION_FAILED', async () => {
    const before = await snapshot();
    const res = await app.gql(`mutation { createScope(input: { key: "enum-inline", name: "X", certification: GOLD, ownerId: "${ownerId}" }) { id } }`);
    expectCode(res, 'GRAPHQL_VALIDATION_FAILED');
    expect(res.status).toBe(400);
    const ownerKind = await app.gql('mutation { createOwner(input: { kind: ROBOT, name: "R2" }) { id } }');
    expectCode(ownerKind, 'GRAPHQL_VALIDATION_FAILED');
    expect(await snapshot()).toEqual(before);
  });

  test('a wrong enum in variables is BAD_USER_INPUT (variable coercion)', async () => {
    const before = await snapshot();
    const res = await app.gql(CREATE_SCOPE, { input: scopeInput(ownerId, { certification: 'GOLD' }) });
    expectCode(res, 'BAD_USER_INPUT');
    expect(res.status).toBe(400);
    const filter = await app.gql('query($f: ScopeFilter) { scopes(filter: $f) { totalCount } }', { f: { certification: ['GOLD'] } });
    expectCode(filter, 'BAD_USER_INPUT');
    const order = await app.gql('query($o: ScopeOrder) { scopes(orderBy: $o) { totalCount } }', { o: { field: 'DROP TABLE', direction: 'ASC' } });
    expectCode(order, 'BAD_USER_INPUT');
    expect(await snapshot()).toEqual(before);
  });

  test('a missing required field is BAD_USER_INPUT', async () => {
    const before = await snapshot();
    const { name: _omitted, ...input } = scopeInput(ownerId);
    expectCode(await app.gql(CREATE_SCOPE, { input }), 'BAD_USER_INPUT');
    expect(await snapshot()).toEqual(before);
  });

  test.each([
    ['an empty name', { name: '' }, 'name'],
    ['a blank name', { name: '   \t ' }, 'name'],
    ['a name over 200 characters', { name: 'n'.repeat(201) }, 'name'],
    ['a description over 10,000 characters', { description: 'd'.repeat(10_001) }, 'description'],
    ['an inclusion over 500 characters', { inclusions: ['i'.repeat(501)] }, 'inclusions'],
    ['more than 100 exclusions', { exclusions: Array.from({ length: 101 }, (_, i) => `e${i}`) }, 'exclusions'],
    ['riskAppetite 0', { riskAppetite: 0 }, 'riskAppetite'],
    ['riskAppetite 26', { riskAppetite: 26 }, 'riskAppetite'],
    ['a key with capitals and spaces', { key: 'Not A Key' }, 'key'],
    ['a parentId that is not a uuid', { parentId: 'scope-1' }, 'parentId'],
  ])('createScope with %s is BAD_USER_INPUT naming the field', async (_label, extra, field) => {
    const before = await snapshot();
    const input = scopeInput(ownerId, extra);
    expectCode(await app.gql(CREATE_SCOPE, { input }), 'BAD_USER_INPUT', field);
    expect(await snapshot()).toEqual(before);
  });

  test('the limits are inclusive: name of 200 and description of 10,000 characters are accepted', async () => {
    const res = ok(await app.gql(CREATE_SCOPE, { input: scopeInput(ownerId, { name: 'n'.repeat(200), description: 'd'.repeat(10_000), riskAppetite: 25 }) }));
    const [row] = await app.sql('SELECT length(name) AS n, length(description) AS d, risk_appetite FROM scope WHERE id = $1', [res.createScope.id]);
    expect(row).toEqual({ n: 200, d: 10_000, risk_appetite: 25 });
    ok(await app.gql(CREATE_SCOPE, { input: scopeInput(ownerId, { riskAppetite: 1 }) }));
  });

  test('an unknown parent is BAD_USER_INPUT naming parentId', async () => {
    const before = await snapshot();
    expectCode(await app.gql(CREATE_SCOPE, { input: scopeInput(ownerId, { parentId: randomUUID() }) }), 'BAD_USER_INPUT', 'parentId');
    expect(await snapshot()).toEqual(before);
  });

  test('an unknown or archived owner is BAD_USER_INPUT naming ownerId', async () => {
    const archived = await createOwner(app);
    ok(await app.gql('mutation($id: ID!) { archiveOwner(id: $id) { id } }', { id: archived.id }));
    const before = await snapshot();
    expectCode(await app.gql(CREATE_SCOPE, { input: scopeInput(randomUUID()) }), 'BAD_USER_INPUT', 'ownerId');
    expectCode(await app.gql(CREATE_SCOPE, { input: scopeInput('not-a-uuid') }), 'BAD_USER_INPUT', 'ownerId');
    expectCode(await app.gql(CREATE_SCOPE, { input: scopeInput(archived.id) }), 'BAD_USER_INPUT', 'ownerId');
    expect(await snapshot()).toEqual(before);
  });

  test.each([
    ['an empty name', { name: '' }, 'name'],
    ['a blank name', { name: '  ' }, 'name'],
    ['a null name', { name: null }, 'name'],
    ['a name over 200 characters', { name: 'n'.repeat(201) }, 'name'],
    ['a description over 10,000 characters', { description: 'd'.repeat(10_001) }, 'description'],
    ['riskAppetite 0', { riskAppetite: 0 }, 'riskAppetite'],
    ['riskAppetite 26', { riskAppetite: 26 }, 'riskAppetite'],
    ['a null owner', { ownerId: null }, 'ownerId'],
    ['an unknown owner', { ownerId: '00000000-0000-4000-8000-000000000000' }, 'ownerId'],
    ['an unknown parent', { parentId: '00000000-0000-4000-8000-000000000000' }, 'parentId'],
    ['a null certification', { certification: null }, 'certification'],
  ])('updateScope with %s is BAD_USER_INPUT and leaves the scope as it was', async (_label, input, field) => {
    const scope = await createScope(app, { ownerId });
    const [row] = await app.sql('SELECT * FROM scope WHERE id = $1', [scope.id]);
    const before = await snapshot();
    expectCode(await app.gql(UPDATE_SCOPE, { id: scope.id, v: 1, input }), 'BAD_USER_INPUT', field);
    expect(await snapshot()).toEqual(before);
    expect((await app.sql('SELECT * FROM scope WHERE id = $1', [scope.id]))[0]).toEqual(row);
  });

  test('a parent cycle is BAD_USER_INPUT: A→B→A, A under itself, A under its grandchild', async () => {
    const a = await createScope(app, { ownerId });
    const b = await createScope(app, { ownerId, parentId: a.id });
    const c = await createScope(app, { ownerId, parentId: b.id });
    const before = await snapshot();
    expectCode(await app.gql(UPDATE_SCOPE, { id: a.id, v: 1, input: { parentId: b.id } }), 'BAD_USER_INPUT', 'parentId');
    expectCode(await app.gql(UPDATE_SCOPE, { id: a.id, v: 1, input: { parentId: a.id } }), 'BAD_USER_INPUT', 'parentId');
    expectCode(await app.gql(UPDATE_SCOPE, { id: a.id, v: 1, input: { parentId: c.id } }), 'BAD_USER_INPUT', 'parentId');
    expect(await snapshot()).toEqual(before);
    const rows = await app.sql('SELECT id, parent_id FROM scope WHERE id = ANY($1)', [[a.id, b.id, c.id]]);
    expect(Object.fromEntries(rows.map((r) => [r.id, r.parent_id]))).toEqual({ [a.id]: null, [b.id]: a.id, [c.id]: b.id });
    // moving within the tree without a cycle works
    ok(await app.gql(UPDATE_SCOPE, { id: c.id, v: 1, input: { parentId: a.id } }));
  });

  test('concurrent re-parentings cannot close a cycle together', async () => {
    const a = await createScope(app, { ownerId });
    const b = await createScope(app, { ownerId });
    const results = await Promise.all([
      app.gql(UPDATE_SCOPE, { id: a.id, v: 1, input: { parentId: b.id } }),
      app.gql(UPDATE_SCOPE, { id: b.id, v: 1, input: { parentId: a.id } }),
    ]);
    expect(results.map((r) => errorCode(r) ?? 'OK').sort()).toEqual(['BAD_USER_INPUT', 'OK']);
    const rows = await app.sql('SELECT count(*)::int AS n FROM scope WHERE id = ANY($1) AND parent_id IS NOT NULL', [[a.id, b.id]]);
    expect(rows[0].n).toBe(1);
  });

  test.each([
    ['an empty name', { kind: 'PERSON', name: '' }, 'name'],
    ['a name over 200 characters', { kind: 'PERSON', name: 'n'.repeat(201) }, 'name'],
    ['a malformed e-mail', { kind: 'PERSON', name: 'Eve', email: 'not-an-email' }, 'email'],
  ])('createOwner with %s is BAD_USER_INPUT', async (_label, input, field) => {
    const before = await snapshot();
    expectCode(await app.gql(CREATE_OWNER, { input }), 'BAD_USER_INPUT', field);
    expect(await snapshot()).toEqual(before);
  });

  test('updateOwner with a blank or null name, or a null kind, is BAD_USER_INPUT and changes nothing', async () => {
    const owner = await createOwner(app);
    const before = await snapshot();
    expectCode(await app.gql(UPDATE_OWNER, { id: owner.id, v: 1, input: { name: ' ' } }), 'BAD_USER_INPUT', 'name');
    expectCode(await app.gql(UPDATE_OWNER, { id: owner.id, v: 1, input: { name: null } }), 'BAD_USER_INPUT', 'name');
    expectCode(await app.gql(UPDATE_OWNER, { id: owner.id, v: 1, input: { kind: null } }), 'BAD_USER_INPUT', 'kind');
    expect(await snapshot()).toEqual(before);
  });

  test('a null variable for a non-null input field is BAD_USER_INPUT, not INTERNAL', async () => {
    const before = await snapshot();
    const read = await app.gql('query($x: Boolean) { owners(filter: { includeArchived: $x }) { totalCount } }', { x: null });
    expectCode(read, 'BAD_USER_INPUT');
    expect(read.errors![0].message).toContain('includeArchived');
    // a nullable variable in a non-null position is caught earlier, by validation
    const write = await app.gql('mutation($k: String) { createOwner(input: { kind: PERSON, name: $k }) { id } }', { k: null });
    expectCode(write, 'GRAPHQL_VALIDATION_FAILED');
    expect(await snapshot()).toEqual(before);
  });

  test('a query that does not parse is GRAPHQL_PARSE_FAILED; an unknown field GRAPHQL_VALIDATION_FAILED', async () => {
    expectCode(await app.gql('{ scopes { totalCount '), 'GRAPHQL_PARSE_FAILED');
    expectCode(await app.gql('{ scopes { nope } }'), 'GRAPHQL_VALIDATION_FAILED');
  });

  test('a body that is not JSON is BAD_REQUEST', async () => {
    const res = await rawPost(app, '{"query": ', { 'content-type': 'application/json', authorization: `Bearer ${app.adminKey}` });
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });
});

describe('request ids', () => {
  test('every response carries x-request-id: success, GraphQL error, bad body, unknown path, health', async () => {
    const responses = [
      await postGql(app, '{ owners { totalCount } }'),
      await postGql(app, '{ owners { totalCount } }', {}, null),
      await postGql(app, '{ nope }'),
      await rawPost(app, 'not json', { 'content-type': 'application/json' }),
      await rawGet(app, '/nowhere'),
      await rawGet(app, '/healthz'),
      await rawGet(app, '/readyz'),
    ];
    const ids = responses.map((r) => r.headers.get('x-request-id'));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('a well-formed incoming x-request-id is kept; a malformed one is replaced', async () => {
    const kept = await postGql(app, '{ owners { totalCount } }', {}, app.adminKey, { 'x-request-id': 'client-req.42' });
    expect(kept.headers.get('x-request-id')).toBe('client-req.42');
    const replaced = await postGql(app, '{ owners { totalCount } }', {}, app.adminKey, { 'x-request-id': 'bad id\twith spaces' });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const long = await postGql(app, '{ owners { totalCount } }', {}, app.adminKey, { 'x-request-id': 'a'.repeat(65) });
    expect(long.headers.get('x-request-id')).not.toBe('a'.repeat(65));
  });
});

describe('internal errors', () => {
  const leaks = /owner_kind|renamed_email|"email"|column|relation|select |insert |from |where |QueryFailedError|node_modules|\.ts:\d|\.js:\d|\bat \w|stack/i;

  test('a database failure on a read is INTERNAL with no SQL, table names or stack', async () => {
    await app.sql('ALTER TABLE owner RENAME COLUMN email TO renamed_email');
    try {
      const res = await postGql(app, '{ owners(first: 5) { totalCount edges { node { id name email } } } }');
      expect(res.json.errors).toHaveLength(1);
      expect(res.json.errors[0]).toEqual({ message: 'Internal server error', path: ['owners'], extensions: { code: 'INTERNAL' } });
      expect(res.json.data).toBeNull();
      expect(res.text).not.toMatch(leaks);
      expect(res.headers.get('x-request-id')).toBeTruthy();

      const byId = await postGql(app, 'query($id: ID!) { owner(id: $id) { id } }', { id: app.ownerId });
      expect(byId.json.errors[0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL' } });
      expect(byId.text).not.toMatch(leaks);
    } finally {
      await app.sql('ALTER TABLE owner RENAME COLUMN renamed_email TO email');
    }
    ok(await app.gql('{ owners(first: 1) { totalCount } }'));
  });

  test('a database failure inside a write is INTERNAL and rolls the write back', async () => {
    const before = await snapshot();
    await app.sql(`CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_event insert refused for table owner'; END $$`);
    await app.sql('CREATE TRIGGER fail_audit BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION fail_audit()');
    try {
      const name = `Doomed ${randomUUID()}`;
      const res = await postGql(app, CREATE_OWNER, { input: { kind: 'TEAM', name } });
      expect(res.json.errors[0]).toEqual({ message: 'Internal server error', path: ['createOwner'], extensions: { code: 'INTERNAL' } });
      expect(res.text).not.toMatch(/audit_event|refused|owner\b.*table/i);
      // the owner row was inserted before the audit row failed: the transaction took both back
      const [{ n }] = await app.sql('SELECT count(*)::int AS n FROM owner WHERE name = $1', [name]);
      expect(n).toBe(0);
    } finally {
      await app.sql('DROP TRIGGER fail_audit ON audit_event');
      await app.sql('DROP FUNCTION fail_audit()');
    }
    expect(await snapshot()).toEqual(before);
  });

  test('an error in the context (database down while authenticating) is INTERNAL without details', async () => {
    await app.sql('ALTER TABLE api_key RENAME TO api_key_gone');
    try {
      const res = await postGql(app, '{ owners { totalCount } }');
      expect(res.json.errors[0].extensions.code).toBe('INTERNAL');
      expect(res.json.errors[0].message).toBe('Internal server error');
      expect(res.text).not.toMatch(/api_key|relation|select/i);
    } finally {
      await app.sql('ALTER TABLE api_key_gone RENAME TO api_key');
    }
  });
});
