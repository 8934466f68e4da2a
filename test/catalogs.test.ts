import { randomUUID } from 'node:crypto';
import { startTestApp, ok, type TestApp } from './helpers/app';
import { Permission } from '../src/auth/permissions';
import { loadShippedCatalogs, SHIPPED_FRAMEWORKS } from '../src/catalogs/catalog-loader';
import { insertFramework } from '../src/catalogs/catalog-writer';
import { compareVersions } from '../src/modules/framework/framework.rules';
import { createControl } from './helpers/isms-factories';
import { createScope } from './helpers/factories';
import {
  CREATE_FRAMEWORK, CREATE_REQUIREMENT, FRAMEWORK_FIELDS, REQUIREMENT_FIELDS, catalogRowCounts, createCrosswalk, createFramework, createMapping,
  createRequirement, expectFailure, requirementId, uniqueKey,
} from './catalog-factories';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

interface Req {
  id: string;
  code: string;
  title: string;
  text: string | null;
  kind: string;
  assessable: boolean;
  examples: string[];
  url: string | null;
  withdrawn: boolean;
  parent: { code: string } | null;
  children: Array<{ code: string }>;
}

const FRAMEWORK_BY_KEY = `query($key: String, $version: String) { framework(key: $key, version: $version) { ${FRAMEWORK_FIELDS} } }`;
const ALL_REQUIREMENTS = `query($key: String, $version: String, $after: String, $first: Int) {
  framework(key: $key, version: $version) {
    id key version
    requirements(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { id code title text kind assessable examples url withdrawn parent { code } children { code } } }
    }
  }
}`;

/** Every active requirement of a framework version, in catalog order (paging through). */
async function allRequirements(key: string, version?: string, first = 500): Promise<Req[]> {
  const out: Req[] = [];
  let after: string | null = null;
  for (;;) {
    const page: any = ok(await app.gql(ALL_REQUIREMENTS, { key, version: version ?? null, after, first })).framework.requirements;
    out.push(...page.edges.map((e: any) => e.node));
    if (!page.pageInfo.hasNextPage) {
      expect(out).toHaveLength(page.totalCount);
      return out;
    }
    after = page.pageInfo.endCursor;
  }
}

const codes = (rows: Array<{ code: string }>) => rows.map((r) => r.code);
const ofKind = (rows: Req[], kind: string) => rows.filter((r) => r.kind === kind);

describe('shipped catalogs through the API', () => {
  test('the four shipped frameworks are listed, built in, with their kinds', async () => {
    const res = ok(await app.gql('{ frameworks(first: 100, filter: { key: null }) { totalCount edges { node { key version kind builtIn licence sourceUrl } } } }'));
    const shipped = res.frameworks.edges.map((e: any) => e.node).filter((f: any) => f.builtIn);
    expect(shipped.map((f: any) => `${f.key}@${f.version}:${f.kind}`).sort()).toEqual([
      'iso27001-2022@2022:MANAGEMENT_SYSTEM',
      'iso27002-2022@2022:CONTROL_CATALOG',
      'nist-csf-2.0@2.0:CONTROL_CATALOG',
      'owasp-nhi-top10-2025@2025:RISK_TAXONOMY',
    ]);
    for (const f of shipped) expect(f.licence).toBeTruthy();
    const taxonomies = ok(await app.gql('{ frameworks(filter: { kind: [RISK_TAXONOMY] }) { edges { node { key builtIn } } } }'));
    expect(taxonomies.frameworks.edges.filter((e: any) => e.node.builtIn).map((e: any) => e.node.key)).toEqual(['owasp-nhi-top10-2025']);
  });

  test('iso27001-2022: 93 Annex A controls in 4 themes of 37/8/14/34, clauses 4–10 with sub-clauses, no ISO text', async () => {
    const all = await allRequirements('iso27001-2022');
    expect(all).toHaveLength(7 + 34 + 4 + 93);

    const controls = ofKind(all, 'CONTROL');
    expect(controls).toHaveLength(93);
    expect(controls.every((c) => c.assessable && /^A\.[5-8]\.\d+$/.test(c.code))).toBe(true);
    expect(new Set(codes(controls)).size).toBe(93);

    const themes = ofKind(all, 'THEME');
    expect(codes(themes)).toEqual(['A.5', 'A.6', 'A.7', 'A.8']);
    expect(themes.map((t) => t.children.length)).toEqual([37, 8, 14, 34]);
    expect(themes.every((t) => t.parent === null && !t.assessable)).toBe(true);
    for (const theme of themes) {
      const n = theme.children.length;
      expect(codes(theme.children)).toEqual(Array.from({ length: n }, (_, i) => `${theme.code}.${i + 1}`));
    }
    for (const c of controls) expect(c.parent?.code).toBe(c.code.split('.').slice(0, 2).join('.'));
    expect(controls.find((c) => c.code === 'A.5.15')).toMatchObject({ title: 'Access control', kind: 'CONTROL', assessable: true });

    const clauses = ofKind(all, 'CLAUSE');
    const top = clauses.filter((c) => c.parent === null);
    expect(codes(top)).toEqual(['4', '5', '6', '7', '8', '9', '10']);
    expect(top.every((c) => !c.assessable && c.children.length > 0)).toBe(true);
    const sub = clauses.filter((c) => c.parent !== null);
    expect(sub).toHaveLength(34);
    for (const s of sub) expect(s.code.startsWith(`${s.parent!.code}.`)).toBe(true);
    expect(codes(top.find((c) => c.code === '6')!.children)).toEqual(['6.1', '6.2', '6.3']);
    expect(codes(clauses.find((c) => c.code === '6.1')!.children)).toEqual(['6.1.1', '6.1.2', '6.1.3']);
    // sub-clauses that only group others are not assessed; their leaves are
    expect(sub.filter((c) => !c.assessable).map((c) => c.code).sort()).toEqual(['6.1', '7.5', '9.2', '9.3']);
    expect(all.filter((r) => r.assessable)).toHaveLength(30 + 93);

    // identifiers and short titles only: never ISO text
    expect(all.filter((r) => r.text !== null)).toEqual([]);
    expect(all.every((r) => r.examples.length === 0 && r.title.trim().length > 0)).toBe(true);
  });

  test('iso27001-2022 filters: kind, assessable, parent, top level, search', async () => {
    const q = `query($filter: RequirementFilter) { requirements(filter: $filter, first: 500) { totalCount edges { node { code } } } }`;
    const count = async (filter: Record<string, unknown>) => ok(await app.gql(q, { filter: { frameworkKey: 'iso27001-2022', ...filter } })).requirements;
    expect((await count({ kind: ['CONTROL'] })).totalCount).toBe(93);
    expect((await count({ kind: ['CONTROL', 'THEME'] })).totalCount).toBe(97);
    expect((await count({ assessable: true })).totalCount).toBe(123);
    expect((await count({ assessable: false })).totalCount).toBe(7 + 4 + 4);
    expect((await count({ topLevelOnly: true })).totalCount).toBe(11);
    const a5 = await requirementId(app, 'iso27001-2022', 'A.5');
    expect((await count({ parentId: a5 })).totalCount).toBe(37);
    const search = await count({ search: 'access control' });
    expect(codes(search.edges.map((e: any) => e.node))).toContain('A.5.15');
    // LIKE wildcards in a search are literal
    expect((await count({ search: '%' })).totalCount).toBe(0);
    expect((await count({ search: 'A.8.3' })).edges.map((e: any) => e.node.code)).toEqual(['A.8.3', 'A.8.30', 'A.8.31', 'A.8.32', 'A.8.33', 'A.8.34']);
  });

  test('iso27002-2022: the 93 controls in 4 themes, no text, attribute vocabularies empty until imported', async () => {
    const all = await allRequirements('iso27002-2022');
    const controls = ofKind(all, 'CONTROL');
    expect(controls).toHaveLength(93);
    expect(controls.every((c) => c.assessable && /^[5-8]\.\d+$/.test(c.code))).toBe(true);
    const themes = ofKind(all, 'THEME');
    expect(codes(themes)).toEqual(['5', '6', '7', '8']);
    expect(themes.map((t) => t.children.length)).toEqual([37, 8, 14, 34]);
    expect(all.filter((r) => r.text !== null)).toEqual([]);

    // the same titles as Annex A
    const annexA = new Map(ofKind(await allRequirements('iso27001-2022'), 'CONTROL').map((c) => [c.code, c.title]));
    for (const c of controls) expect(annexA.get(`A.${c.code}`)).toBe(c.title);

    const fw = ok(await app.gql(FRAMEWORK_BY_KEY, { key: 'iso27002-2022' })).framework;
    expect(fw).toMatchObject({ kind: 'CONTROL_CATALOG', builtIn: true, version: '2022' });
    const attrs = ok(await app.gql('{ requirement(frameworkKey: "iso27002-2022", code: "5.15") { attributes { controlType securityProperties cybersecurityConcepts operationalCapabilities securityDomains } } }'));
    expect(attrs.requirement.attributes).toEqual({ controlType: [], securityProperties: [], cybersecurityConcepts: [], operationalCapabilities: [], securityDomains: [] });
  });

  test('nist-csf-2.0: 6 functions, 22 categories, 106 subcategories with text and implementation examples', async () => {
    const all = await allRequirements('nist-csf-2.0');
    const functions = ofKind(all, 'FUNCTION');
    expect(codes(functions)).toEqual(['GV', 'ID', 'PR', 'DE', 'RS', 'RC']);
    expect(functions.map((f) => f.title)).toEqual(['GOVERN', 'IDENTIFY', 'PROTECT', 'DETECT', 'RESPOND', 'RECOVER']);
    const categories = ofKind(all, 'CATEGORY');
    expect(categories).toHaveLength(22);
    for (const c of categories) expect(c.parent?.code).toBe(c.code.split('.')[0]);
    const subcategories = ofKind(all, 'SUBCATEGORY');
    expect(subcategories).toHaveLength(106);
    expect(all).toHaveLength(6 + 22 + 106);
    for (const s of subcategories) {
      expect(s.code).toMatch(/^[A-Z]{2}\.[A-Z]{2}-\d{2}$/);
      expect(s.parent?.code).toBe(s.code.split('-')[0]);
      expect(s.assessable).toBe(true);
      expect(s.text).toBeTruthy();
    }
    expect(all.filter((r) => r.assessable)).toHaveLength(106);
    expect(categories.reduce((n, c) => n + c.children.length, 0)).toBe(106);
    expect(subcategories.reduce((n, s) => n + s.examples.length, 0)).toBe(363);
    expect(subcategories.filter((s) => s.examples.length > 0).length).toBeGreaterThan(90);
    expect(subcategories.every((s) => s.examples.every((e) => e.trim().length > 0))).toBe(true);

    const gvoc01 = subcategories.find((s) => s.code === 'GV.OC-01')!;
    expect(gvoc01.text).toMatch(/mission/i);
    expect(gvoc01.examples.length).toBeGreaterThan(0);
    // withdrawn CSF 1.1 identifiers are not shipped
    expect(codes(all)).not.toContain('PR.AC-01');
    const fw = ok(await app.gql(FRAMEWORK_BY_KEY, { key: 'nist-csf-2.0' })).framework;
    expect(fw).toMatchObject({ version: '2.0', builtIn: true });
  });

  test('paging through a catalog in pages of 25 gives the same requirements in the same order', async () => {
    const whole = await allRequirements('nist-csf-2.0');
    const paged = await allRequirements('nist-csf-2.0', undefined, 25);
    expect(codes(paged)).toEqual(codes(whole));
    expectFailure(await app.gql(ALL_REQUIREMENTS, { key: 'nist-csf-2.0', first: 501 }), 'BAD_USER_INPUT', 'first');
  });

  test('owasp-nhi-top10-2025: NHI1–NHI10 with descriptions, pages and the CC BY-SA attribution', async () => {
    const all = await allRequirements('owasp-nhi-top10-2025');
    expect(codes(all)).toEqual(Array.from({ length: 10 }, (_, i) => `NHI${i + 1}`));
    expect(all.every((r) => r.kind === 'RISK' && r.assessable && r.parent === null)).toBe(true);
    expect(all.every((r) => (r.text ?? '').length > 50 && /^https:\/\/owasp\.org\//.test(r.url ?? ''))).toBe(true);
    expect(all.find((r) => r.code === 'NHI1')!.title).toBe('Improper Offboarding');
    expect(all.find((r) => r.code === 'NHI7')!.title).toBe('Long-Lived Secrets');

    const fw = ok(await app.gql(FRAMEWORK_BY_KEY, { key: 'owasp-nhi-top10-2025' })).framework;
    expect(fw).toMatchObject({ kind: 'RISK_TAXONOMY', builtIn: true, version: '2025' });
    expect(fw.attribution).toMatch(/CC BY-SA/);
    expect(fw.attribution).toMatch(/OWASP/);
    expect(fw.licence).toMatch(/CC BY-SA 4\.0/);
  });

  test('a requirement by id, by framework key and code, and its framework; unknown ones are NOT_FOUND', async () => {
    const byCode = ok(await app.gql(`{ requirement(frameworkKey: "iso27001-2022", code: "A.8.34") { ${REQUIREMENT_FIELDS} } }`)).requirement;
    expect(byCode).toMatchObject({ code: 'A.8.34', kind: 'CONTROL', text: null, parent: { code: 'A.8' }, framework: { key: 'iso27001-2022', version: '2022' } });
    const byId = ok(await app.gql(`query($id: ID!) { requirement(id: $id) { ${REQUIREMENT_FIELDS} } }`, { id: byCode.id })).requirement;
    expect(byId).toEqual(byCode);
    const versioned = ok(await app.gql('{ requirement(frameworkKey: "iso27001-2022", frameworkVersion: "2022", code: "A.8.34") { id } }')).requirement;
    expect(versioned.id).toBe(byCode.id);

    expectFailure(await app.gql('{ requirement(frameworkKey: "iso27001-2022", code: "A.9.1") { id } }'), 'NOT_FOUND');
    expectFailure(await app.gql('{ requirement(frameworkKey: "no-such-framework", code: "A.5.1") { id } }'), 'NOT_FOUND');
    expectFailure(await app.gql('query($id: ID!) { requirement(id: $id) { id } }', { id: randomUUID() }), 'NOT_FOUND');
    expectFailure(await app.gql('{ requirement(id: "not-a-uuid") { id } }'), 'NOT_FOUND');
    expectFailure(await app.gql('{ requirement(code: "A.5.1") { id } }'), 'BAD_USER_INPUT');
    expectFailure(await app.gql('{ framework(key: "no-such-framework") { id } }'), 'NOT_FOUND');
    expectFailure(await app.gql('{ framework(key: "iso27001-2022", version: "2013") { id } }'), 'NOT_FOUND');
    expectFailure(await app.gql('{ requirements(filter: { frameworkKey: "no-such-framework" }) { totalCount } }'), 'BAD_USER_INPUT', 'frameworkKey');
  });

  test('catalogs are visible to every key with read, including scope-restricted ones', async () => {
    const scopeIds = [(await createScope(app)).id];
    for (const key of [await app.createKey([Permission.ISMS_READ]), await app.createKey([Permission.ISMS_READ], { scopeIds })]) {
      const res = ok(await app.gql('{ framework(key: "iso27001-2022") { requirements(filter: { kind: [CONTROL] }) { totalCount } } }', {}, key.secret));
      expect(res.framework.requirements.totalCount).toBe(93);
    }
    expectFailure(await app.gql('{ frameworks { totalCount } }', {}, null), 'UNAUTHENTICATED');
  });
});

describe('loading the shipped catalogs', () => {
  test('loading twice changes nothing', async () => {
    const tables = ['framework', 'requirement', 'crosswalk', 'mapping'];
    const snapshot = async () => {
      const out: Record<string, unknown> = {};
      for (const t of tables) {
        out[t] = (await app.sql(`SELECT count(*)::int AS n, md5(string_agg(id::text, ',' ORDER BY id)) AS ids FROM ${t}`))[0];
      }
      return out;
    };
    const before = await snapshot();
    expect(await loadShippedCatalogs(app.db)).toEqual([]);
    expect(await loadShippedCatalogs(app.db)).toEqual([]);
    expect(await snapshot()).toEqual(before);
    const keys = SHIPPED_FRAMEWORKS.map((f) => f.key);
    const [shipped] = await app.sql(`SELECT
        (SELECT count(*) FROM framework WHERE built_in AND key = ANY($1))::int AS frameworks,
        (SELECT count(*) FROM requirement r JOIN framework f ON f.id = r.framework_id WHERE f.built_in AND f.key = ANY($1))::int AS requirements,
        (SELECT count(*) FROM crosswalk WHERE built_in)::int AS crosswalks,
        (SELECT count(*) FROM mapping m JOIN crosswalk c ON c.id = m.crosswalk_id WHERE c.built_in)::int AS mappings`, [keys]);
    expect(shipped).toEqual({ frameworks: 4, requirements: 138 + 97 + 134 + 10, crosswalks: 4, mappings: 93 + 341 + 56 + 51 });
  });

  test('a newer shipped version is added beside the old one and becomes the newest; loaded together the newest still wins', async () => {
    // two versions of one key written in a single transaction share created_at: the version decides
    const key = uniqueKey('shipped');
    const file = (version: string) => ({ ...SHIPPED_FRAMEWORKS[3], key, version, name: `NHI ${version}` });
    await app.db.transaction(async (tx) => {
      await insertFramework(tx, file('2025'), { builtIn: true });
      await insertFramework(tx, file('2026'), { builtIn: true });
      await insertFramework(tx, file('2024'), { builtIn: true });
    });
    const newest = ok(await app.gql(FRAMEWORK_BY_KEY, { key })).framework;
    expect(newest.version).toBe('2026');
    const old = ok(await app.gql(FRAMEWORK_BY_KEY, { key, version: '2025' })).framework;
    expect(old.version).toBe('2025');
    expect(await requirementId(app, key, 'NHI2')).not.toBe(await requirementId(app, key, 'NHI2', '2025'));
  });
});

describe('framework versions', () => {
  test.each([
    ['1.0', '2.0'], ['2.0', '10.0'], ['9.0', '10.0'], ['2013', '2022'], ['rev4', 'rev5'], ['rev5', 'rev10'],
    ['2.0', '2.0.1'], ['1.1', '1.10'], ['v1', 'v2'], ['2024-01', '2024-12'],
  ])('version %s is older than %s', (older, newer) => {
    expect(compareVersions(older, newer)).toBe(-1);
    expect(compareVersions(newer, older)).toBe(1);
  });

  test('equal versions compare equal whatever the case or surrounding spaces', () => {
    expect(compareVersions('2.0', '2.0')).toBe(0);
    expect(compareVersions('Rev5', ' rev5 ')).toBe(0);
  });

  test('framework(key) gives the newest version, framework(key, version) the older; links to the old requirements still resolve', async () => {
    const key = uniqueKey('acme');
    const v1 = await createFramework(app, { key, version: '1.0', name: 'ACME policy 1.0' });
    const r1 = await createRequirement(app, v1.id, 'POL-1');
    const other = await createFramework(app);
    const o1 = await createRequirement(app, other.id, 'O-1');
    const xw = await createCrosswalk(app, v1.id, other.id);
    const mapping = await createMapping(app, xw.id, r1.id, o1.id, 'EQUAL');
    const control = await createControl(app);
    ok(await app.gql('mutation($c: ID!, $r: ID!) { linkControlToRequirement(controlId: $c, requirementId: $r) { id } }', { c: control.id, r: r1.id }));

    const v2 = await createFramework(app, { key, version: '2.0', name: 'ACME policy 2.0' });
    const r2 = await createRequirement(app, v2.id, 'POL-1', { title: 'Reworded' });
    // an older version added later does not become the newest
    await createFramework(app, { key, version: '0.9', name: 'ACME policy 0.9' });

    expect(ok(await app.gql(FRAMEWORK_BY_KEY, { key })).framework).toMatchObject({ id: v2.id, version: '2.0' });
    expect(ok(await app.gql(FRAMEWORK_BY_KEY, { key, version: '1.0' })).framework).toMatchObject({ id: v1.id, version: '1.0' });
    expect(await requirementId(app, key, 'POL-1')).toBe(r2.id);
    expect(await requirementId(app, key, 'POL-1', '1.0')).toBe(r1.id);
    const listed = ok(await app.gql('query($k: String) { frameworks(filter: { key: $k }) { totalCount edges { node { version } } } }', { k: key }));
    expect(listed.frameworks.edges.map((e: any) => e.node.version).sort()).toEqual(['0.9', '1.0', '2.0']);

    const read = ok(await app.gql(`query($c: ID!, $m: ID!) {
      control(id: $c) { requirements { id code framework { id version } } }
      mappings(filter: { requirementId: $m }) { edges { node { id source { id framework { version } } } } }
    }`, { c: control.id, m: r1.id }));
    expect(read.control.requirements).toEqual([{ id: r1.id, code: 'POL-1', framework: { id: v1.id, version: '1.0' } }]);
    expect(read.mappings.edges.map((e: any) => e.node)).toEqual([{ id: mapping.id, source: { id: r1.id, framework: { version: '1.0' } } }]);
  });

  test('versions compare by number, not as text; an archived newest version is skipped', async () => {
    const key = uniqueKey('ver');
    for (const version of ['9.0', '10.0', '2.1']) await createFramework(app, { key, version });
    expect(ok(await app.gql(FRAMEWORK_BY_KEY, { key })).framework.version).toBe('10.0');
    const ten = ok(await app.gql(FRAMEWORK_BY_KEY, { key, version: '10.0' })).framework;
    ok(await app.gql('mutation($id: ID!) { archiveFramework(id: $id) { archivedAt } }', { id: ten.id }));
    expect(ok(await app.gql(FRAMEWORK_BY_KEY, { key })).framework.version).toBe('9.0');
    // an archived version is still reachable by its version
    expect(ok(await app.gql(FRAMEWORK_BY_KEY, { key, version: '10.0' })).framework.archivedAt).not.toBeNull();
  });
});

describe('custom frameworks and requirements (catalog:write)', () => {
  test('a catalog:write key creates, updates and archives a framework and its requirement tree; audited', async () => {
    const writer = await app.createKey([Permission.CATALOG_WRITE]);
    const key = uniqueKey('own');
    const fw = await createFramework(app, { key, version: '2025.1', name: 'Own', kind: 'MANAGEMENT_SYSTEM', publisher: 'ACME', licence: 'internal', attribution: 'ACME' }, writer.secret);
    expect(fw).toMatchObject({ key, version: '2025.1', kind: 'MANAGEMENT_SYSTEM', builtIn: false, revision: 1 });
    const root = await createRequirement(app, fw.id, '1', { kind: 'CLAUSE', assessable: false }, writer.secret);
    const child = await createRequirement(app, fw.id, '1.1', { parentId: root.id, text: 'Do the thing.' }, writer.secret);
    const grandchild = await createRequirement(app, fw.id, '1.1.1', { parentId: child.id }, writer.secret);
    expect(child).toMatchObject({ code: '1.1', text: 'Do the thing.', parent: { id: root.id }, framework: { id: fw.id }, version: 1 });

    const tree = ok(await app.gql('query($id: ID!) { framework(id: $id) { requirements { totalCount edges { node { code children { code } } } } } }', { id: fw.id }));
    expect(tree.framework.requirements.edges.map((e: any) => [e.node.code, codes(e.node.children)])).toEqual([['1', ['1.1']], ['1.1', ['1.1.1']], ['1.1.1', []]]);

    const updated = ok(await app.gql(`mutation($id: ID!) { updateFramework(id: $id, input: { name: "Own framework", publisher: null }, expectedRevision: 1) { ${FRAMEWORK_FIELDS} } }`, { id: fw.id }, writer.secret)).updateFramework;
    expect(updated).toMatchObject({ name: 'Own framework', publisher: null, licence: 'internal', revision: 2 });
    const moved = ok(await app.gql(`mutation($id: ID!, $p: ID) { updateRequirement(id: $id, input: { parentId: $p, title: "Moved", text: null }, expectedVersion: 1) { ${REQUIREMENT_FIELDS} } }`, { id: grandchild.id, p: root.id }, writer.secret)).updateRequirement;
    expect(moved).toMatchObject({ title: 'Moved', parent: { id: root.id }, version: 2 });
    const topLevel = ok(await app.gql(`mutation($id: ID!) { updateRequirement(id: $id, input: { parentId: null }, expectedVersion: 2) { parent { id } version } }`, { id: grandchild.id }, writer.secret)).updateRequirement;
    expect(topLevel).toEqual({ parent: null, version: 3 });

    ok(await app.gql('mutation($id: ID!) { archiveRequirement(id: $id) { archivedAt } }', { id: grandchild.id }, writer.secret));
    const afterArchive = ok(await app.gql('query($id: ID!) { framework(id: $id) { requirements { totalCount } } }', { id: fw.id }));
    expect(afterArchive.framework.requirements.totalCount).toBe(2);
    const archived = ok(await app.gql('mutation($id: ID!) { archiveFramework(id: $id) { archivedAt revision } }', { id: fw.id }, writer.secret)).archiveFramework;
    expect(archived.archivedAt).not.toBeNull();
    expectFailure(await app.gql('query($k: String) { framework(key: $k) { id } }', { k: key }), 'NOT_FOUND');
    const listed = ok(await app.gql('query($k: String) { a: frameworks(filter: { key: $k }) { totalCount } b: frameworks(filter: { key: $k, includeArchived: true }) { totalCount } }', { k: key }));
    expect([listed.a.totalCount, listed.b.totalCount]).toEqual([0, 1]);

    const audit = await app.sql('SELECT operation FROM audit_event WHERE entity_id = ANY($1::uuid[]) ORDER BY operation', [[fw.id, root.id, child.id, grandchild.id]]);
    expect(audit.map((a) => a.operation)).toEqual([
      'archiveFramework', 'archiveRequirement', 'createFramework', 'createRequirement', 'createRequirement', 'createRequirement', 'updateFramework', 'updateRequirement', 'updateRequirement',
    ]);
    const [actor] = await app.sql('SELECT DISTINCT actor_key_id FROM audit_event WHERE entity_id = $1', [fw.id]);
    expect(actor.actor_key_id).toBe(writer.id);
  });

  test('createFramework with an idempotency key returns the first framework on retry', async () => {
    const input = { key: uniqueKey('idem'), version: '1', name: 'Idempotent', kind: 'CONTROL_CATALOG' };
    const k = randomUUID();
    const first = ok(await app.gql(CREATE_FRAMEWORK, { input, k })).createFramework;
    const before = await catalogRowCounts(app);
    const again = ok(await app.gql(CREATE_FRAMEWORK, { input, k })).createFramework;
    expect(again.id).toBe(first.id);
    expect(await catalogRowCounts(app)).toEqual(before);
    expectFailure(await app.gql(CREATE_FRAMEWORK, { input: { ...input, version: '2' }, k }), 'IDEMPOTENCY_KEY_REUSED');
  });

  test('isms:write and isms:read keys cannot write catalogs (FORBIDDEN, nothing written)', async () => {
    const fw = await createFramework(app);
    const req = await createRequirement(app, fw.id, 'R-1');
    for (const permission of [Permission.ISMS_WRITE, Permission.ISMS_READ, Permission.TREATMENT_WRITE]) {
      const key = (await app.createKey([permission])).secret;
      const before = await catalogRowCounts(app);
      expectFailure(await app.gql(CREATE_FRAMEWORK, { input: { key: uniqueKey(), version: '1', name: 'X', kind: 'CONTROL_CATALOG' } }, key), 'FORBIDDEN');
      expectFailure(await app.gql(CREATE_REQUIREMENT, { input: { frameworkId: fw.id, code: 'R-2', title: 'X', kind: 'CONTROL', assessable: true } }, key), 'FORBIDDEN');
      expectFailure(await app.gql('mutation($id: ID!) { updateFramework(id: $id, input: { name: "X" }, expectedRevision: 1) { id } }', { id: fw.id }, key), 'FORBIDDEN');
      expectFailure(await app.gql('mutation($id: ID!) { updateRequirement(id: $id, input: { title: "X" }, expectedVersion: 1) { id } }', { id: req.id }, key), 'FORBIDDEN');
      expectFailure(await app.gql('mutation($id: ID!) { archiveRequirement(id: $id) { id } }', { id: req.id }, key), 'FORBIDDEN');
      expectFailure(await app.gql('mutation($id: ID!) { archiveFramework(id: $id) { id } }', { id: fw.id }, key), 'FORBIDDEN');
      expect(await catalogRowCounts(app)).toEqual(before);
    }
  });

  test('shipped frameworks and their requirements cannot be edited (FORBIDDEN, nothing written)', async () => {
    const writer = (await app.createKey([Permission.CATALOG_WRITE])).secret;
    const iso = ok(await app.gql(FRAMEWORK_BY_KEY, { key: 'iso27001-2022' })).framework;
    const a515 = await requirementId(app, 'iso27001-2022', 'A.5.15');
    const before = await catalogRowCounts(app);
    for (const key of [writer, app.adminKey]) {
      expectFailure(await app.gql('mutation($id: ID!, $r: Int!) { updateFramework(id: $id, input: { name: "Mine now" }, expectedRevision: $r) { id } }', { id: iso.id, r: iso.revision }, key), 'FORBIDDEN');
      expectFailure(await app.gql('mutation($id: ID!) { archiveFramework(id: $id) { id } }', { id: iso.id }, key), 'FORBIDDEN');
      expectFailure(await app.gql(CREATE_REQUIREMENT, { input: { frameworkId: iso.id, code: 'A.5.38', title: 'Extra', kind: 'CONTROL', assessable: true } }, key), 'FORBIDDEN');
      expectFailure(await app.gql('mutation($id: ID!) { updateRequirement(id: $id, input: { title: "Changed" }, expectedVersion: 1) { id } }', { id: a515 }, key), 'FORBIDDEN');
      expectFailure(await app.gql('mutation($id: ID!) { archiveRequirement(id: $id) { id } }', { id: a515 }, key), 'FORBIDDEN');
    }
    expect(await catalogRowCounts(app)).toEqual(before);
  });

  test('a stale expectedRevision or expectedVersion is CONFLICT and writes nothing', async () => {
    const fw = await createFramework(app);
    const req = await createRequirement(app, fw.id, 'C-1');
    ok(await app.gql('mutation($id: ID!) { updateFramework(id: $id, input: { name: "Second" }, expectedRevision: 1) { revision } }', { id: fw.id }));
    ok(await app.gql('mutation($id: ID!) { updateRequirement(id: $id, input: { title: "Second" }, expectedVersion: 1) { version } }', { id: req.id }));
    const before = await catalogRowCounts(app);
    expectFailure(await app.gql('mutation($id: ID!) { updateFramework(id: $id, input: { name: "Lost" }, expectedRevision: 1) { id } }', { id: fw.id }), 'CONFLICT');
    expectFailure(await app.gql('mutation($id: ID!) { updateRequirement(id: $id, input: { title: "Lost" }, expectedVersion: 1) { id } }', { id: req.id }), 'CONFLICT');
    expect(await catalogRowCounts(app)).toEqual(before);
    const [f] = await app.sql('SELECT name, revision FROM framework WHERE id = $1', [fw.id]);
    const [r] = await app.sql('SELECT title, version FROM requirement WHERE id = $1', [req.id]);
    expect([f, r]).toEqual([{ name: 'Second', revision: 2 }, { title: 'Second', version: 2 }]);
  });

  test('unknown targets of catalog mutations are NOT_FOUND', async () => {
    const before = await catalogRowCounts(app);
    expectFailure(await app.gql('mutation($id: ID!) { updateFramework(id: $id, input: { name: "X" }, expectedRevision: 1) { id } }', { id: randomUUID() }), 'NOT_FOUND');
    expectFailure(await app.gql('mutation($id: ID!) { archiveFramework(id: $id) { id } }', { id: randomUUID() }), 'NOT_FOUND');
    expectFailure(await app.gql('mutation($id: ID!) { updateRequirement(id: $id, input: { title: "X" }, expectedVersion: 1) { id } }', { id: randomUUID() }), 'NOT_FOUND');
    expectFailure(await app.gql('mutation($id: ID!) { archiveRequirement(id: $id) { id } }', { id: 'nope' }), 'NOT_FOUND');
    expect(await catalogRowCounts(app)).toEqual(before);
  });
});

describe('bad framework and requirement input: its code, and nothing written', () => {
  let fw: { id: string; key: string };
  let otherFw: { id: string };
  let a: { id: string };
  let b: { id: string };
  let c: { id: string };
  let foreign: { id: string };
  beforeAll(async () => {
    fw = await createFramework(app, { key: uniqueKey('bad'), version: '1.0' });
    otherFw = await createFramework(app);
    a = await createRequirement(app, fw.id, 'A');
    b = await createRequirement(app, fw.id, 'A.1', { parentId: a.id });
    c = await createRequirement(app, fw.id, 'A.1.1', { parentId: b.id });
    foreign = await createRequirement(app, otherFw.id, 'F-1');
  });

  async function expectNothingWritten(run: () => Promise<void>) {
    const before = await catalogRowCounts(app);
    await run();
    expect(await catalogRowCounts(app)).toEqual(before);
  }

  test('a duplicate framework key + version is CONFLICT', async () => {
    await expectNothingWritten(async () => {
      expectFailure(await app.gql(CREATE_FRAMEWORK, { input: { key: fw.key, version: '1.0', name: 'Again', kind: 'CONTROL_CATALOG' } }), 'CONFLICT');
      expectFailure(await app.gql(CREATE_FRAMEWORK, { input: { key: 'iso27001-2022', version: '2022', name: 'Again', kind: 'MANAGEMENT_SYSTEM' } }), 'CONFLICT');
    });
    // the same key in another version is a new version, not a duplicate
    ok(await app.gql(CREATE_FRAMEWORK, { input: { key: fw.key, version: '1.1', name: 'Next', kind: 'CONTROL_CATALOG' } }));
  });

  test('concurrent creates of one key + version: one wins, the others are CONFLICT', async () => {
    const input = { key: uniqueKey('race'), version: '1', name: 'Race', kind: 'CONTROL_CATALOG' };
    const results = await Promise.all(Array.from({ length: 4 }, () => app.gql(CREATE_FRAMEWORK, { input })));
    expect(results.filter((r) => !r.errors).length).toBe(1);
    for (const r of results.filter((x) => x.errors)) expectFailure(r, 'CONFLICT');
    const [row] = await app.sql('SELECT count(*)::int AS n FROM framework WHERE key = $1', [input.key]);
    expect(row.n).toBe(1);
  });

  test('a duplicate requirement code is CONFLICT, also when created concurrently', async () => {
    await expectNothingWritten(async () => {
      expectFailure(await app.gql(CREATE_REQUIREMENT, { input: { frameworkId: fw.id, code: 'A.1', title: 'Again', kind: 'CONTROL', assessable: true } }), 'CONFLICT');
    });
    const input = { frameworkId: fw.id, code: `R-${randomUUID().slice(0, 6)}`, title: 'Race', kind: 'CONTROL', assessable: true };
    const results = await Promise.all(Array.from({ length: 4 }, () => app.gql(CREATE_REQUIREMENT, { input })));
    expect(results.filter((r) => !r.errors).length).toBe(1);
    for (const r of results.filter((x) => x.errors)) expectFailure(r, 'CONFLICT');
    // the same code in another framework is fine
    ok(await app.gql(CREATE_REQUIREMENT, { input: { ...input, frameworkId: otherFw.id } }));
  });

  test('requirements created concurrently get distinct positions', async () => {
    const target = await createFramework(app);
    await Promise.all(Array.from({ length: 6 }, (_, i) => createRequirement(app, target.id, `P-${i}`)));
    const rows = await app.sql('SELECT DISTINCT position FROM requirement WHERE framework_id = $1', [target.id]);
    expect(rows).toHaveLength(6);
  });

  test('a parent from another framework, or unknown, is BAD_USER_INPUT naming parentId', async () => {
    await expectNothingWritten(async () => {
      expectFailure(await app.gql(CREATE_REQUIREMENT, { input: { frameworkId: fw.id, code: 'X-1', title: 'X', kind: 'CONTROL', assessable: true, parentId: foreign.id } }), 'BAD_USER_INPUT', 'parentId');
      expectFailure(await app.gql(CREATE_REQUIREMENT, { input: { frameworkId: fw.id, code: 'X-1', title: 'X', kind: 'CONTROL', assessable: true, parentId: randomUUID() } }), 'BAD_USER_INPUT', 'parentId');
      expectFailure(await app.gql('mutation($id: ID!, $p: ID) { updateRequirement(id: $id, input: { parentId: $p }, expectedVersion: 1) { id } }', { id: a.id, p: foreign.id }), 'BAD_USER_INPUT', 'parentId');
    });
  });

  test('a parent cycle through updateRequirement is BAD_USER_INPUT', async () => {
    await expectNothingWritten(async () => {
      const update = 'mutation($id: ID!, $p: ID, $v: Int!) { updateRequirement(id: $id, input: { parentId: $p }, expectedVersion: $v) { id } }';
      expectFailure(await app.gql(update, { id: a.id, p: c.id, v: 1 }), 'BAD_USER_INPUT', 'parentId');
      expectFailure(await app.gql(update, { id: a.id, p: b.id, v: 1 }), 'BAD_USER_INPUT', 'parentId');
      expectFailure(await app.gql(update, { id: b.id, p: b.id, v: 1 }), 'BAD_USER_INPUT', 'parentId');
    });
  });

  test('two concurrent moves that together would make a cycle: one is refused', async () => {
    const target = await createFramework(app);
    const update = 'mutation($id: ID!, $p: ID) { updateRequirement(id: $id, input: { parentId: $p }, expectedVersion: 1) { id } }';
    for (let round = 0; round < 3; round++) {
      const x = await createRequirement(app, target.id, `X-${round}`);
      const y = await createRequirement(app, target.id, `Y-${round}`);
      const results = await Promise.all([app.gql(update, { id: x.id, p: y.id }), app.gql(update, { id: y.id, p: x.id })]);
      expect(results.filter((r) => !r.errors)).toHaveLength(1);
      expectFailure(results.find((r) => r.errors)!, 'BAD_USER_INPUT', 'parentId');
      const rows = await app.sql('SELECT count(*)::int AS n FROM requirement WHERE id = ANY($1::uuid[]) AND parent_id IS NOT NULL', [[x.id, y.id]]);
      expect(rows[0].n).toBe(1);
    }
  });

  test('an unknown framework id is BAD_USER_INPUT naming frameworkId', async () => {
    await expectNothingWritten(async () => {
      expectFailure(await app.gql(CREATE_REQUIREMENT, { input: { frameworkId: randomUUID(), code: 'X', title: 'X', kind: 'CONTROL', assessable: true } }), 'BAD_USER_INPUT', 'frameworkId');
      expectFailure(await app.gql(CREATE_REQUIREMENT, { input: { frameworkId: 'fw-1', code: 'X', title: 'X', kind: 'CONTROL', assessable: true } }), 'BAD_USER_INPUT', 'frameworkId');
    });
  });

  test('a wrong enum value is GRAPHQL_VALIDATION_FAILED inline and BAD_USER_INPUT in variables', async () => {
    await expectNothingWritten(async () => {
      const inline = await app.gql(`mutation { createFramework(input: { key: "${uniqueKey()}", version: "1", name: "X", kind: STANDARD }) { id } }`);
      expectFailure(inline, 'GRAPHQL_VALIDATION_FAILED');
      expectFailure(await app.gql(CREATE_FRAMEWORK, { input: { key: uniqueKey(), version: '1', name: 'X', kind: 'STANDARD' } }), 'BAD_USER_INPUT');
      expectFailure(await app.gql(CREATE_REQUIREMENT, { input: { frameworkId: fw.id, code: 'E-1', title: 'X', kind: 'PARAGRAPH', assessable: true } }), 'BAD_USER_INPUT');
    });
  });

  test.each([
    ['a key with capitals', { key: 'Not-A-Key' }, 'key'],
    ['a key of one character', { key: 'a' }, 'key'],
    ['a blank version', { version: '  ' }, 'version'],
    ['an empty name', { name: '' }, 'name'],
    ['a name over 200 characters', { name: 'n'.repeat(201) }, 'name'],
  ])('createFramework with %s is BAD_USER_INPUT naming the field', async (_label, extra, field) => {
    await expectNothingWritten(async () => {
      expectFailure(await app.gql(CREATE_FRAMEWORK, { input: { key: uniqueKey(), version: '1', name: 'X', kind: 'CONTROL_CATALOG', ...extra } }), 'BAD_USER_INPUT', field);
    });
  });

  test.each([
    ['an empty code', { code: '' }, 'code'],
    ['a code with surrounding spaces', { code: ' X ' }, 'code'],
    ['a blank title', { title: ' ' }, 'title'],
    ['a parentId that is not a uuid', { parentId: 'A' }, 'parentId'],
  ])('createRequirement with %s is BAD_USER_INPUT naming the field', async (_label, extra, field) => {
    await expectNothingWritten(async () => {
      expectFailure(await app.gql(CREATE_REQUIREMENT, { input: { frameworkId: fw.id, code: 'V-1', title: 'X', kind: 'CONTROL', assessable: true, ...extra } }), 'BAD_USER_INPUT', field);
    });
  });

  test('a null title or name in an update is BAD_USER_INPUT', async () => {
    await expectNothingWritten(async () => {
      expectFailure(await app.gql('mutation($id: ID!) { updateRequirement(id: $id, input: { title: null }, expectedVersion: 1) { id } }', { id: c.id }), 'BAD_USER_INPUT', 'title');
      expectFailure(await app.gql('mutation($id: ID!) { updateFramework(id: $id, input: { name: null }, expectedRevision: 1) { id } }', { id: otherFw.id }), 'BAD_USER_INPUT', 'name');
    });
  });
});
