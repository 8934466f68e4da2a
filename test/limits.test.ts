import { getIntrospectionQuery } from 'graphql';
import { startTestApp, ok, errorCode, type TestApp } from './helpers/app';
import { createScope } from './helpers/factories';
import { postGql, rawGet, rawPost, wsRequest } from './helpers/http';

let app: TestApp;
let small: TestApp;
let production: TestApp;
beforeAll(async () => {
  [app, small, production] = await Promise.all([
    startTestApp(),
    startTestApp({ BODY_LIMIT: '64kb', MAX_QUERY_COST: '200', MAX_QUERY_DEPTH: '6', MAX_QUERY_ALIASES: '3' }),
    startTestApp({ NODE_ENV: 'production' }),
  ]);
});
afterAll(() => Promise.all([app?.close(), small?.close(), production?.close()]));

/** `scope { parent { parent { … key } } }` nested `levels` deep below `scope`. */
function nestedParents(levels: number): string {
  let selection = 'key';
  for (let i = 0; i < levels; i += 1) selection = `parent { ${selection} }`;
  return selection;
}

/** Statements of a request that only authenticates (lastUsedAt already fresh): what a refused query may run. */
async function authOnlyStatements(): Promise<number> {
  await app.gql('{ __typename }');
  return (await app.gql('{ __typename }')).statements;
}

function expectTooComplex(res: { status: number; data?: unknown; errors?: Array<{ extensions: { code: string } }> }, limit?: string) {
  expect(res.errors?.length).toBeGreaterThan(0);
  for (const e of res.errors!) expect(e.extensions.code).toBe('QUERY_TOO_COMPLEX');
  if (limit) expect((res.errors![0].extensions as Record<string, unknown>).limit).toBe(limit);
  expect(res.data ?? null).toBeNull();
  expect(res.status).toBe(400);
}

describe('query depth (MAX_QUERY_DEPTH, default 15)', () => {
  test('a query deeper than 15 is QUERY_TOO_COMPLEX, before it runs', async () => {
    // scopes > edges > node > 13 parents > key = depth 17
    const baseline = await authOnlyStatements();
    const res = await app.gql(`{ scopes { edges { node { ${nestedParents(13)} } } } }`);
    expectTooComplex(res, 'depth');
    expect(res.statements).toBe(baseline);
  });

  test('a query at the limit runs', async () => {
    const scope = await createScope(app);
    const res = await app.gql(`query($id: ID) { scope(id: $id) { ${nestedParents(13)} } }`, { id: scope.id });
    expect(res.errors).toBeUndefined();
    expect(res.data!.scope).toEqual({ parent: null });
  });

  test('depth counts through fragments', async () => {
    const res = await app.gql(`query { scopes { edges { node { ...P } } } } fragment P on Scope { ${nestedParents(13)} }`);
    expectTooComplex(res, 'depth');
  });

  test('MAX_QUERY_DEPTH is configurable', async () => {
    expectTooComplex(await small.gql(`{ scopes { edges { node { ${nestedParents(4)} } } } }`), 'depth');
    ok(await small.gql(`{ scopes(first: 1) { edges { node { ${nestedParents(2)} } } } }`));
  });
});

describe('aliases (MAX_QUERY_ALIASES, default 30)', () => {
  const aliases = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: owners(first: 1) { totalCount }`).join(' ');

  test('31 aliases are QUERY_TOO_COMPLEX; 30 run', async () => {
    const baseline = await authOnlyStatements();
    const refused = await app.gql(`{ ${aliases(31)} }`);
    expectTooComplex(refused, 'aliases');
    expect(refused.statements).toBe(baseline);
    const allowed = ok(await app.gql(`{ ${aliases(30)} }`));
    expect(Object.keys(allowed)).toHaveLength(30);
  });

  test('aliases inside nested selections and fragments count too', async () => {
    const inner = Array.from({ length: 31 }, (_, i) => `k${i}: key`).join(' ');
    expectTooComplex(await app.gql(`{ scopes { edges { node { ${inner} } } } }`), 'aliases');
    expectTooComplex(await app.gql(`{ scopes { edges { node { ...F } } } } fragment F on Scope { ${inner} }`), 'aliases');
  });
});

describe('cost (MAX_QUERY_COST)', () => {
  test('a page of 500 rows with a useful selection is within the default cost', async () => {
    ok(await app.gql('{ scopes(first: 500) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id key name description inclusions exclusions certification riskAppetite version createdAt updatedAt archivedAt owner { id name kind email } parent { id key name } } } } }'));
    ok(await app.gql('{ owners(first: 500) { edges { node { id name kind email version } } } }'));
  });

  test('many large pages in one query are QUERY_TOO_COMPLEX', async () => {
    const pages = Array.from({ length: 20 }, (_, i) => `p${i}: scopes(first: 500) { edges { node { id key name owner { id name } parent { id key owner { name } } } } }`).join(' ');
    const baseline = await authOnlyStatements();
    const res = await app.gql(`{ ${pages} }`);
    expectTooComplex(res, 'cost');
    expect(res.statements).toBe(baseline);
  });

  test('`first` passed as a variable costs the same as the literal', async () => {
    const query = 'query($n: Int) { a: scopes(first: $n) { edges { node { id key name owner { id name } } } } b: owners(first: $n) { edges { node { id name } } } }';
    const literal = 'query { a: scopes(first: 20) { edges { node { id key name owner { id name } } } } b: owners(first: 20) { edges { node { id name } } } }';
    ok(await small.gql(query, { n: 1 }));
    expectTooComplex(await small.gql(literal), 'cost');
    expectTooComplex(await small.gql(query, { n: 20 }), 'cost');
    // a variable default counts as well, and an omitted `first` counts as the default page of 50
    expectTooComplex(await small.gql('query($n: Int = 30) { scopes(first: $n) { edges { node { id key name owner { id name } } } } }'), 'cost');
    expectTooComplex(await small.gql('{ scopes { edges { node { id key name owner { id name } } } } }'), 'cost');
  });

  test('the cost of a fragment counts wherever it is spread', async () => {
    const fragment = 'fragment F on Scope { id key name }';
    ok(await small.gql(`{ scopes(first: 5) { edges { node { ...F } } } } ${fragment}`));
    expectTooComplex(await small.gql(`{ scopes(first: 45) { edges { node { ...F } } } } ${fragment}`), 'cost');
  });

  test('`first` above 500 is BAD_USER_INPUT, not a cost error', async () => {
    for (const [query, vars] of [['{ scopes(first: 501) { totalCount } }', {}], ['query($n: Int) { owners(first: $n) { totalCount } }', { n: 100000 }]] as const) {
      const res = await app.gql(query, vars);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
    }
  });
});

describe('limits over graphql-ws', () => {
  test('depth, alias and cost limits refuse the same operations on the socket', async () => {
    const cases = [
      `{ scopes { edges { node { ${nestedParents(13)} } } } }`,
      `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: owners(first: 1) { totalCount }`).join(' ')} }`,
      `{ ${Array.from({ length: 20 }, (_, i) => `p${i}: scopes(first: 500) { edges { node { id key name owner { id name } parent { id key owner { name } } } } }`).join(' ')} }`,
    ];
    for (const query of cases) {
      const outcome = await wsRequest(app, query).then((r) => r.errors, (e) => e);
      expect(Array.isArray(outcome)).toBe(true);
      expect(outcome.map((e: any) => e.extensions?.code)).toContain('QUERY_TOO_COMPLEX');
    }
    const varCost = await wsRequest(small, 'query($n: Int) { scopes(first: $n) { edges { node { id key name owner { id name } } } } }', { n: 30 }, small.adminKey).then((r) => r.errors, (e) => e);
    expect(varCost.map((e: any) => e.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
  });
});

describe('body size (BODY_LIMIT)', () => {
  test('a body over the limit is HTTP 413 with code BAD_REQUEST, and writes nothing', async () => {
    const [{ n: before }] = await small.sql('SELECT count(*)::int AS n FROM owner');
    const body = JSON.stringify({ query: 'mutation($n: String!) { createOwner(input: { kind: TEAM, name: $n }) { id } }', variables: { n: 'x'.repeat(100 * 1024) } });
    const res = await rawPost(small, body, { 'content-type': 'application/json', authorization: `Bearer ${small.adminKey}` });
    expect(res.status).toBe(413);
    expect(res.json.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const [{ n: after }] = await small.sql('SELECT count(*)::int AS n FROM owner');
    expect(after).toBe(before);
  });

  test('a body just under the limit is accepted', async () => {
    const res = await postGql(small, '{ owners(first: 1) { totalCount } }', { pad: 'x'.repeat(60 * 1024) }, small.adminKey);
    expect(res.status).toBe(200);
    expect(res.json.errors).toBeUndefined();
  });

  test('a 3 MB body passes the default 5 MB limit', async () => {
    const pad = 'x'.repeat(3 * 1024 * 1024);
    const res = await postGql(app, '{ owners(first: 1) { totalCount } }', { pad });
    expect(res.status).toBe(200);
    expect(res.json.errors).toBeUndefined();
    expect(res.json.data.owners.totalCount).toBeGreaterThan(0);
  });

  test('a 6 MB body is over the default limit', async () => {
    const res = await postGql(app, '{ owners(first: 1) { totalCount } }', { pad: 'x'.repeat(6 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.json.errors[0].extensions.code).toBe('BAD_REQUEST');
  });
});

describe('introspection and suggestions follow NODE_ENV', () => {
  const INTROSPECT = '{ __schema { queryType { name } types { name } } }';

  test('introspection works outside production', async () => {
    const res = ok(await app.gql(INTROSPECT));
    expect(res.__schema.queryType.name).toBe('Query');
    expect(res.__schema.types.map((t: any) => t.name)).toContain('Scope');
    expect(ok(await app.gql('{ __type(name: "Scope") { name } }')).__type.name).toBe('Scope');
  });

  test('the full introspection query of GraphQL tools passes the limits outside production', async () => {
    const res = await app.gql(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }));
    expect(res.errors).toBeUndefined();
    expect(res.data!.__schema.types.length).toBeGreaterThan(20);
  });

  test('introspection is refused in production', async () => {
    for (const query of [INTROSPECT, '{ __type(name: "Scope") { name fields { name } } }']) {
      const res = await production.gql(query);
      expect(errorCode(res)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(res.data ?? null).toBeNull();
      expect(JSON.stringify(res.errors)).not.toMatch(/riskAppetite|inclusions/);
    }
    // __typename is not introspection of the schema and stays available
    expect(ok(await production.gql('{ __typename }')).__typename).toBe('Query');
  });

  test('field suggestions ("Did you mean") appear in development, never in production', async () => {
    const typo = '{ scopes { totalCont } }';
    const dev = await app.gql(typo);
    expect(errorCode(dev)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(dev.errors![0].message).toMatch(/Did you mean/);
    const prod = await production.gql(typo);
    expect(errorCode(prod)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(prod.errors)).not.toMatch(/Did you mean|totalCount/);
    const argTypo = await production.gql('{ scopes(frist: 1) { totalCount } }');
    expect(JSON.stringify(argTypo.errors)).not.toMatch(/Did you mean|"first"/);
    const enumTypo = await production.gql('{ scopes(filter: { certification: [CERTIFIABL] }) { totalCount } }');
    expect(JSON.stringify(enumTypo.errors)).not.toMatch(/Did you mean|CERTIFIABLE/);
  });

  test('the production app serves queries as usual', async () => {
    ok(await production.gql('{ scopes { totalCount } }'));
  });
});

describe('CSRF prevention', () => {
  const query = encodeURIComponent('{ owners(first: 1) { totalCount } }');

  test('a GET without a preflight-forcing header is refused', async () => {
    const res = await rawGet(app, `/graphql?query=${query}`, { authorization: `Bearer ${app.adminKey}` });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/CSRF|preflight/i);
    expect(res.text).not.toMatch(/totalCount"\s*:/);
  });

  test('a GET with apollo-require-preflight runs', async () => {
    const res = await rawGet(app, `/graphql?query=${query}`, { authorization: `Bearer ${app.adminKey}`, 'apollo-require-preflight': 'true' });
    expect(res.status).toBe(200);
    expect(res.json.data.owners.totalCount).toBeGreaterThan(0);
  });

  test.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])('a POST with the simple content type %s is refused and writes nothing', async (contentType) => {
    const [{ n: before }] = await app.sql('SELECT count(*)::int AS n FROM owner');
    const res = await rawPost(app, JSON.stringify({ query: 'mutation { createOwner(input: { kind: TEAM, name: "csrf" }) { id } }' }), { 'content-type': contentType, authorization: `Bearer ${app.adminKey}` });
    expect(res.status).toBe(400);
    const [{ n: after }] = await app.sql('SELECT count(*)::int AS n FROM owner');
    expect(after).toBe(before);
  });

  test('a mutation over GET is refused even with the preflight header', async () => {
    const mutation = encodeURIComponent('mutation { createOwner(input: { kind: TEAM, name: "via-get" }) { id } }');
    const res = await rawGet(app, `/graphql?query=${mutation}`, { authorization: `Bearer ${app.adminKey}`, 'apollo-require-preflight': 'true' });
    expect(res.status).toBe(405);
    const [{ n }] = await app.sql("SELECT count(*)::int AS n FROM owner WHERE name = 'via-get'");
    expect(n).toBe(0);
  });
});
