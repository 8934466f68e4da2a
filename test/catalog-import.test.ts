import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestApp, ok, errorCode, type GqlResponse, type TestApp } from './helpers/app';
import { databaseUrl } from './helpers/db';
import { Permission } from '../src/auth/permissions';

const FIXTURES = path.join(__dirname, 'fixtures');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const SP800_53 = fixture('oscal/NIST_SP-800-53_rev5_catalog.2021-06-08.json');
const SP800_53_TO_ISO = fixture('mapping-nist-sp-800-53-rev5-to-iso27001-2022.csv');

const IMPORT_OSCAL = `mutation($document: String!, $key: String!, $name: String, $kind: FrameworkKind) {
  importOscalCatalog(document: $document, frameworkKey: $key, name: $name, kind: $kind) {
    rowsRead requirementsCreated requirementsUpdated withdrawn
    framework { id key version name kind builtIn publisher }
  }
}`;
const IMPORT_CSV = `mutation($key: String!, $document: String!, $version: String) {
  importRequirementsCsv(frameworkKey: $key, document: $document, frameworkVersion: $version) {
    rowsRead requirementsCreated requirementsUpdated ignoredColumns framework { id key version }
  }
}`;
const IMPORT_MAPPINGS = `mutation($input: ImportMappingsInput!) {
  importMappings(input: $input) {
    rowsRead mappingsCreated duplicatesSkipped ignoredColumns
    crosswalks { created mappingsCreated crosswalk { id key name source method status builtIn version sourceFramework { key } targetFramework { key } } }
  }
}`;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

/** Rows of every table an import writes to, to prove a failed import wrote nothing. */
async function counts(): Promise<Record<string, number>> {
  const [row] = await app.sql(`SELECT (SELECT count(*) FROM framework)::int AS frameworks, (SELECT count(*) FROM requirement)::int AS requirements,
    (SELECT count(*) FROM crosswalk)::int AS crosswalks, (SELECT count(*) FROM mapping)::int AS mappings,
    (SELECT count(*) FROM audit_event)::int AS audit, (SELECT coalesce(sum(version), 0) FROM requirement)::int AS "requirementVersions",
    (SELECT coalesce(sum(version), 0) FROM crosswalk)::int AS "crosswalkVersions"`);
  return row;
}

/** The response failed with BAD_USER_INPUT naming a place, and the database is as before. */
async function expectBadInput(response: GqlResponse, before: Record<string, number>, place: { path?: string | RegExp; line?: number }) {
  expect(response.errors).toHaveLength(1);
  const error = response.errors![0];
  expect(error.extensions.code).toBe('BAD_USER_INPUT');
  if (place.path !== undefined) {
    if (place.path instanceof RegExp) expect(String(error.extensions.path)).toMatch(place.path);
    else expect(error.extensions.path).toBe(place.path);
  }
  if (place.line !== undefined) expect(error.extensions.line).toBe(place.line);
  expect(error.extensions.path !== undefined || error.extensions.line !== undefined).toBe(true);
  expect(await counts()).toEqual(before);
  return error;
}

async function frameworkRows(key: string) {
  return app.sql(
    `SELECT r.code, r.title, r.text, r.kind::text AS kind, r.assessable, p.code AS parent, r.aliases, r.withdrawn, r.examples, r.attribute_values AS attributes
       FROM requirement r JOIN framework f ON f.id = r.framework_id LEFT JOIN requirement p ON p.id = r.parent_id
      WHERE f.key = $1 ORDER BY r.position`,
    [key],
  );
}

describe('OSCAL catalogs', () => {
  test('imports the full SP 800-53 rev5 catalog (OSCAL 1.0, 3.2 MB) through the API', async () => {
    const started = Date.now();
    const res = await app.gql(IMPORT_OSCAL, { document: SP800_53, key: 'nist-sp800-53-r5' });
    const ms = Date.now() - started;
    const result = ok(res).importOscalCatalog;
    process.stdout.write(`SP 800-53 rev5 OSCAL import through GraphQL: ${result.rowsRead} requirements in ${ms} ms\n`);
    expect(result.framework).toMatchObject({ key: 'nist-sp800-53-r5', version: '5.0.1', kind: 'CONTROL_CATALOG', builtIn: false, publisher: 'Joint Task Force, Interagency Working Group' });
    expect(result.framework.name).toMatch(/^NIST Special Publication 800-53 Revision 5/);
    expect(result).toMatchObject({ rowsRead: 1209, requirementsCreated: 1209, requirementsUpdated: 0, withdrawn: 182 });

    const [stats] = await app.sql(
      `SELECT count(*) FILTER (WHERE kind = 'CONTROL')::int AS controls, count(*) FILTER (WHERE kind = 'GROUP')::int AS groups,
              count(*) FILTER (WHERE withdrawn)::int AS withdrawn, count(*) FILTER (WHERE kind = 'CONTROL' AND parent_id IN (SELECT id FROM requirement WHERE kind = 'CONTROL'))::int AS enhancements,
              count(*) FILTER (WHERE assessable)::int AS assessable
         FROM requirement WHERE framework_id = $1`,
      [result.framework.id],
    );
    expect(stats).toEqual({ controls: 1189, groups: 20, withdrawn: 182, enhancements: expect.any(Number), assessable: 1189 - 182 });
    expect(stats.enhancements).toBeGreaterThan(800);

    const known = ok(await app.gql(`{ requirement(frameworkKey: "nist-sp800-53-r5", code: "AC-2(12)") {
      code title text kind assessable withdrawn aliases parent { code parent { code title kind assessable } } } }`)).requirement;
    expect(known).toMatchObject({ code: 'AC-2(12)', title: 'Account Monitoring for Atypical Usage', kind: 'CONTROL', assessable: true, withdrawn: false, aliases: ['ac-2.12'] });
    expect(known.parent).toEqual({ code: 'AC-2', parent: { code: 'AC', title: 'Access Control', kind: 'GROUP', assessable: false } });
    expect(known.text).toBe('(a) Monitor system accounts for [Assignment: organization-defined atypical usage]; and\n(b) Report atypical usage of system accounts to [Assignment: organization-defined personnel or roles].');

    const withdrawn = ok(await app.gql('{ requirement(frameworkKey: "nist-sp800-53-r5", code: "AC-2(10)") { withdrawn assessable aliases } }')).requirement;
    expect(withdrawn).toEqual({ withdrawn: true, assessable: false, aliases: ['ac-2.10'] });
    const ac2 = ok(await app.gql('{ requirement(frameworkKey: "nist-sp800-53-r5", code: "AC-2") { text } }')).requirement;
    expect(ac2.text).toMatch(/^a\. Define and document the types of accounts/);
    expect(ac2.text).toContain('\n  1. Authorized users of the system;');
    expect(ac2.text).not.toContain('{{');

    const audit = await app.sql("SELECT entity_type::text AS type, operation FROM audit_event WHERE entity_id = $1", [result.framework.id]);
    expect(audit).toEqual([{ type: 'FRAMEWORK', operation: 'importOscalCatalog' }]);
  });

  test('imports its 642-row mapping to ISO/IEC 27001:2022 from the reference CSV (OLIR column names, CRLF)', async () => {
    const res = await app.gql(IMPORT_MAPPINGS, {
      input: {
        document: SP800_53_TO_ISO, format: 'CSV', sourceFrameworkKey: 'nist-sp800-53-r5', targetFrameworkKey: 'iso27001-2022',
        crosswalkKey: 'sp800-53-r5-to-iso27001', provenance: 'NIST OLIR entry 155 (SP 800-53 rev5 → ISO/IEC 27001:2022), authored by NIST',
      },
    });
    const result = ok(res).importMappings;
    expect(result).toMatchObject({ rowsRead: 642, mappingsCreated: 642, duplicatesSkipped: 0, ignoredColumns: [] });
    expect(result.crosswalks).toHaveLength(1);
    expect(result.crosswalks[0]).toMatchObject({
      created: true, mappingsCreated: 642,
      crosswalk: { key: 'sp800-53-r5-to-iso27001', method: 'IMPORTED', status: 'DRAFT', builtIn: false, sourceFramework: { key: 'nist-sp800-53-r5' }, targetFramework: { key: 'iso27001-2022' } },
    });
    const rows = await app.sql(
      `SELECT s.code AS source, t.code AS target, m.relationship::text AS relationship FROM mapping m
         JOIN requirement s ON s.id = m.source_requirement_id JOIN requirement t ON t.id = m.target_requirement_id
        WHERE m.crosswalk_id = $1`,
      [result.crosswalks[0].crosswalk.id],
    );
    // every row of the file resolved to exactly one mapping
    const expected = SP800_53_TO_ISO.trim().split(/\r?\n/).slice(1).map((line) => line.split(',').slice(0, 2).join('|')).sort();
    expect(rows.map((r) => `${r.source}|${r.target}`).sort()).toEqual(expected);
    expect(new Set(rows.map((r) => r.relationship))).toEqual(new Set(['INTERSECTS_WITH']));
    expect(rows).toContainEqual({ source: 'AC-2(12)', target: 'A.8.16', relationship: 'INTERSECTS_WITH' });
    const audit = await app.sql("SELECT entity_type::text AS type, operation FROM audit_event WHERE entity_id = $1", [result.crosswalks[0].crosswalk.id]);
    expect(audit).toEqual([{ type: 'CROSSWALK', operation: 'importMappings' }]);

    // importing the file again into the same crosswalk adds nothing
    const again = ok(await app.gql(IMPORT_MAPPINGS, {
      input: { document: SP800_53_TO_ISO, format: 'CSV', sourceFrameworkKey: 'nist-sp800-53-r5', targetFrameworkKey: 'iso27001-2022', crosswalkKey: 'sp800-53-r5-to-iso27001', provenance: 'again' },
    })).importMappings;
    expect(again).toMatchObject({ rowsRead: 642, mappingsCreated: 0, duplicatesSkipped: 642 });
    expect(again.crosswalks[0]).toMatchObject({ created: false, crosswalk: { version: 1, source: expect.stringContaining('OLIR entry 155') } });
  });

  test('imports OSCAL 1.1: the SP 800-53 LOW baseline (alternate labels as aliases) and the basic catalog (nested groups)', async () => {
    const low = ok(await app.gql(IMPORT_OSCAL, { document: fixture('oscal/NIST_SP-800-53_rev5_LOW-baseline-resolved-profile_catalog.json'), key: 'sp800-53-low' })).importOscalCatalog;
    expect(low).toMatchObject({ rowsRead: 167, withdrawn: 0, framework: { version: '5.1.1+u4' } });
    const [lowStats] = await app.sql("SELECT count(*) FILTER (WHERE kind = 'CONTROL')::int AS controls, count(*) FILTER (WHERE kind = 'GROUP')::int AS groups FROM requirement WHERE framework_id = $1", [low.framework.id]);
    expect(lowStats).toEqual({ controls: 149, groups: 18 });
    const ac1 = ok(await app.gql('{ requirement(frameworkKey: "sp800-53-low", code: "AC-1") { aliases text } }')).requirement;
    expect(ac1.aliases).toEqual(['ac-1', 'AC-01']);
    expect(ac1.text).not.toContain('{{');

    const basic = ok(await app.gql(IMPORT_OSCAL, { document: fixture('oscal/basic-catalog.json'), key: 'oscal-basic', name: 'OSCAL basic example', kind: 'MANAGEMENT_SYSTEM' })).importOscalCatalog;
    expect(basic.framework).toMatchObject({ name: 'OSCAL basic example', kind: 'MANAGEMENT_SYSTEM', version: '1.1' });
    const rows = await frameworkRows('oscal-basic');
    expect(rows.map((r) => [r.code, r.kind, r.parent, r.assessable])).toEqual([
      ['1', 'GROUP', null, false],
      ['S1.1', 'GROUP', '1', false],
      ['1.1.1', 'CONTROL', 'S1.1', true],
      ['1.1.2', 'CONTROL', 'S1.1', true],
      ['2', 'GROUP', null, false],
      ['2.1', 'GROUP', '2', false],
      ['2.1.1', 'CONTROL', '2.1', true],
      ['2.1.2', 'CONTROL', '2.1', true],
    ]);
    expect(rows[1].aliases).toEqual(['s1.1']);
    expect(rows[2].text).toContain('All information security responsibilities should be defined and allocated.');
    expect(rows[2].text).toContain('[Selection (one or more): initiating a device lock after [Assignment: a duration] of inactivity; requiring the user');
  });

  test('a second version of an imported key is added beside the first; a shipped key is refused', async () => {
    const doc = JSON.parse(fixture('oscal/basic-catalog.json'));
    doc.catalog.metadata.version = '1.2';
    const v2 = ok(await app.gql(IMPORT_OSCAL, { document: JSON.stringify(doc), key: 'oscal-basic' })).importOscalCatalog;
    expect(v2.framework.version).toBe('1.2');
    const versions = ok(await app.gql('{ frameworks(filter: { key: "oscal-basic" }) { totalCount } framework(key: "oscal-basic") { version } }'));
    expect(versions.frameworks.totalCount).toBe(2);
    expect(versions.framework.version).toBe('1.2');

    const before = await counts();
    const shipped = await app.gql(IMPORT_OSCAL, { document: fixture('oscal/basic-catalog.json'), key: 'iso27001-2022' });
    const error = await expectBadInput(shipped, before, { path: 'frameworkKey' });
    expect(error.extensions.field).toBe('frameworkKey');
  });

  test('a retried import with the same idempotencyKey returns the framework first created', async () => {
    const query = 'mutation($d: String!, $k: String) { importOscalCatalog(document: $d, frameworkKey: "oscal-retry", idempotencyKey: $k) { requirementsCreated framework { id } } }';
    const document = fixture('oscal/basic-catalog.json');
    const first = ok(await app.gql(query, { d: document, k: 'retry-1' })).importOscalCatalog;
    const before = await counts();
    const retry = ok(await app.gql(query, { d: document, k: 'retry-1' })).importOscalCatalog;
    expect(retry).toEqual(first);
    expect(await counts()).toEqual(before);
    expect(errorCode(await app.gql(query, { d: document.replace('"version": "1.1"', '"version": "1.3"'), k: 'retry-1' }))).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});

describe('requirements CSV', () => {
  const CSV = [
    'code,title,kind,parent,assessable,text,control_type,security_properties,source_note',
    'POL,Policies,GROUP,,false,,,,ignored',
    'POL-1,"Policy, approved",CONTROL,POL,true,"Line one,\r\nline ""two""",Preventive,Confidentiality;Integrity,x',
    'POL-2,Reviewed policy,,pol,,,Detective|Corrective,#Availability,',
    '',
    'NHI-1,"Secrets, rotated",CONTROL,,yes,"Rotate every ""long-lived"" secret",,,',
  ].join('\r\n');

  test('adds requirements to a custom framework: quoted fields, CRLF, parents, attributes; then updates title and text', async () => {
    ok(await app.gql('mutation { createFramework(input: { key: "acme-policy", version: "1", name: "ACME policy", kind: CONTROL_CATALOG }) { id } }'));
    const first = ok(await app.gql(IMPORT_CSV, { key: 'acme-policy', document: CSV })).importRequirementsCsv;
    expect(first).toMatchObject({ rowsRead: 4, requirementsCreated: 4, requirementsUpdated: 0, ignoredColumns: ['source_note'] });
    const rows = await frameworkRows('acme-policy');
    expect(rows.map((r) => ({ code: r.code, title: r.title, text: r.text, kind: r.kind, parent: r.parent, assessable: r.assessable, attributes: r.attributes }))).toEqual([
      { code: 'POL', title: 'Policies', text: null, kind: 'GROUP', parent: null, assessable: false, attributes: {} },
      { code: 'POL-1', title: 'Policy, approved', text: 'Line one,\r\nline "two"', kind: 'CONTROL', parent: 'POL', assessable: true, attributes: { controlType: ['Preventive'], securityProperties: ['Confidentiality', 'Integrity'] } },
      { code: 'POL-2', title: 'Reviewed policy', text: null, kind: 'CONTROL', parent: 'POL', assessable: true, attributes: { controlType: ['Detective', 'Corrective'], securityProperties: ['Availability'] } },
      { code: 'NHI-1', title: 'Secrets, rotated', text: 'Rotate every "long-lived" secret', kind: 'CONTROL', parent: null, assessable: true, attributes: {} },
    ]);
    const attrs = ok(await app.gql('{ requirement(frameworkKey: "acme-policy", code: "POL-2") { attributes { controlType securityProperties cybersecurityConcepts } } }')).requirement;
    expect(attrs.attributes).toEqual({ controlType: ['Detective', 'Corrective'], securityProperties: ['Availability'], cybersecurityConcepts: [] });

    const second = ok(await app.gql(IMPORT_CSV, { key: 'acme-policy', document: 'code,title,text,parent\nPOL-1,Policy approved by the board,,\nPOL-3,New policy,Some text,POL\n' })).importRequirementsCsv;
    expect(second).toMatchObject({ rowsRead: 2, requirementsCreated: 1, requirementsUpdated: 1 });
    const after = await app.sql(`SELECT r.code, r.title, r.text, r.version, r.position, r.attribute_values AS attributes FROM requirement r JOIN framework f ON f.id = r.framework_id
      WHERE f.key = 'acme-policy' AND r.code IN ('POL-1', 'POL-3') ORDER BY r.code`);
    expect(after).toEqual([
      { code: 'POL-1', title: 'Policy approved by the board', text: 'Line one,\r\nline "two"', version: 2, position: 1, attributes: { controlType: ['Preventive'], securityProperties: ['Confidentiality', 'Integrity'] } },
      { code: 'POL-3', title: 'New policy', text: 'Some text', version: 1, position: 4, attributes: {} },
    ]);
  });

  test('sets ISO/IEC 27002 attributes on the shipped iso27002-2022 (hashtags, ; and |), and only those', async () => {
    const doc = [
      'Control,Control type,Information security properties,Cybersecurity concepts,Operational capabilities,Security domains',
      '5.1,#Preventive,#Confidentiality #Integrity #Availability,#Identify,#Governance,#Governance_and_Ecosystem #Resilience',
      '8.16,Detective;Corrective,Confidentiality|Integrity|Availability,Detect;Respond,Information security event management,Defence',
    ].join('\n');
    // the licensed sheet names its code column "Control": map it to `code`
    const res = ok(await app.gql(IMPORT_CSV, { key: 'iso27002-2022', document: doc.replace(/^Control,/, 'code,') })).importRequirementsCsv;
    expect(res).toMatchObject({ rowsRead: 2, requirementsCreated: 0, requirementsUpdated: 2 });
    const r = ok(await app.gql(`{ a: requirement(frameworkKey: "iso27002-2022", code: "5.1") { attributes { controlType securityProperties cybersecurityConcepts operationalCapabilities securityDomains } }
      b: requirement(frameworkKey: "iso27002-2022", code: "8.16") { attributes { controlType securityProperties cybersecurityConcepts operationalCapabilities securityDomains } } }`));
    expect(r.a.attributes).toEqual({ controlType: ['Preventive'], securityProperties: ['Confidentiality', 'Integrity', 'Availability'], cybersecurityConcepts: ['Identify'], operationalCapabilities: ['Governance'], securityDomains: ['Governance_and_Ecosystem', 'Resilience'] });
    expect(r.b.attributes).toEqual({ controlType: ['Detective', 'Corrective'], securityProperties: ['Confidentiality', 'Integrity', 'Availability'], cybersecurityConcepts: ['Detect', 'Respond'], operationalCapabilities: ['Information_security_event_management'], securityDomains: ['Defence'] });

    // anything but the attribute columns is refused on a shipped framework
    let before = await counts();
    await expectBadInput(await app.gql(IMPORT_CSV, { key: 'iso27002-2022', document: 'code,title,control_type\n5.1,Policies for information security,Preventive\n5.2,My own title,Preventive\n' }), before, { line: 3 });
    before = await counts();
    await expectBadInput(await app.gql(IMPORT_CSV, { key: 'iso27002-2022', document: 'code,control_type\n5.1,Preventive\n9.99,Preventive\n' }), before, { line: 3 });
    // values outside the vocabulary
    before = await counts();
    const bad = await expectBadInput(await app.gql(IMPORT_CSV, { key: 'iso27002-2022', document: 'code,control_type\n5.1,Preventive\n5.2,Deterrent\n' }), before, { line: 3 });
    expect(bad.message).toContain('Deterrent');
  });

  test('needs catalog:write', async () => {
    const reader = await app.createKey([Permission.ISMS_WRITE]);
    const res = await app.gql(IMPORT_CSV, { key: 'acme-policy', document: 'code,title\nX-1,x\n' }, reader.secret);
    expect(errorCode(res)).toBe('FORBIDDEN');
    const writer = await app.createKey([Permission.CATALOG_WRITE]);
    const allowed = ok(await app.gql('mutation($d: String!) { importRequirementsCsv(frameworkKey: "acme-policy", document: $d) { requirementsCreated } }', { d: 'code,title\nX-1,x\n' }, writer.secret));
    expect(allowed.importRequirementsCsv.requirementsCreated).toBe(1);
    const audit = await app.sql("SELECT a.actor_key_id FROM audit_event a WHERE a.operation = 'importRequirementsCsv' ORDER BY a.at DESC LIMIT 1");
    expect(audit[0].actor_key_id).toBe(writer.id);
  });
});

describe('CISO Assistant YAML', () => {
  test('imports a hand-made multi-set library into one crosswalk per framework pair', async () => {
    const res = ok(await app.gql(IMPORT_MAPPINGS, {
      input: { document: fixture('ciso-assistant/nhi-multi-set.yaml'), format: 'CISO_ASSISTANT_YAML', crosswalkKey: 'nhi-test', provenance: 'isms-graph test library', status: 'APPROVED' },
    })).importMappings;
    expect(res).toMatchObject({ rowsRead: 7, mappingsCreated: 7, duplicatesSkipped: 0 });
    expect(res.crosswalks.map((c: any) => [c.crosswalk.key, c.crosswalk.name, c.crosswalk.status, c.crosswalk.sourceFramework.key, c.crosswalk.targetFramework.key, c.mappingsCreated])).toEqual([
      ['nhi-test', 'NHI Top 10 -> ISO 27001 Annex A (test)', 'APPROVED', 'owasp-nhi-top10-2025', 'iso27001-2022', 3],
      ['nhi-test-2', 'NHI Top 10 -> NIST CSF 2.0 (test)', 'APPROVED', 'owasp-nhi-top10-2025', 'nist-csf-2.0', 4],
    ]);
    const rows = await app.sql(
      `SELECT c.key, s.code AS source, t.code AS target, m.relationship::text AS relationship, m.rationale::text AS rationale, m.strength, m.notes
         FROM mapping m JOIN crosswalk c ON c.id = m.crosswalk_id JOIN requirement s ON s.id = m.source_requirement_id JOIN requirement t ON t.id = m.target_requirement_id
        WHERE c.key LIKE 'nhi-test%' ORDER BY c.key, s.position, t.position`,
    );
    expect(rows).toEqual([
      { key: 'nhi-test', source: 'NHI1', target: 'A.5.18', relationship: 'INTERSECTS_WITH', rationale: 'FUNCTIONAL', strength: 8, notes: 'Offboarding an NHI removes its access rights.' },
      { key: 'nhi-test', source: 'NHI2', target: 'A.5.17', relationship: 'INTERSECTS_WITH', rationale: 'SEMANTIC', strength: 7, notes: null },
      { key: 'nhi-test', source: 'NHI5', target: 'A.8.2', relationship: 'SUBSET_OF', rationale: 'SEMANTIC', strength: null, notes: null },
      { key: 'nhi-test-2', source: 'NHI1', target: 'PR.AA-01', relationship: 'INTERSECTS_WITH', rationale: 'FUNCTIONAL', strength: 6, notes: null },
      { key: 'nhi-test-2', source: 'NHI4', target: 'PR.AA-03', relationship: 'INTERSECTS_WITH', rationale: 'SEMANTIC', strength: 7, notes: null },
      { key: 'nhi-test-2', source: 'NHI5', target: 'PR.AA-05', relationship: 'INTERSECTS_WITH', rationale: 'SEMANTIC', strength: 8, notes: null },
      { key: 'nhi-test-2', source: 'NHI10', target: 'PR.AA-06', relationship: 'NOT_RELATED', rationale: null, strength: null, notes: null },
    ]);
    const audit = await app.sql("SELECT count(*)::int AS n FROM audit_event WHERE operation = 'importMappings' AND entity_type = 'CROSSWALK' AND entity_id IN (SELECT id FROM crosswalk WHERE key LIKE 'nhi-test%')");
    expect(audit[0].n).toBe(2);
  });

  test('imports the project\'s own export (single set) and adds to an existing crosswalk; shipped crosswalks are not edited', async () => {
    const own = fixture('ciso-assistant/owasp-nhi-top10-2025-to-iso27001-2022.yaml');
    const res = ok(await app.gql(IMPORT_MAPPINGS, { input: { document: own, format: 'CISO_ASSISTANT_YAML', crosswalkKey: 'nhi-own-export', provenance: 'isms-graph export' } })).importMappings;
    const shipped = await app.sql(`SELECT s.code AS source, t.code AS target, m.relationship::text AS relationship, m.rationale::text AS rationale, m.strength, m.notes
      FROM mapping m JOIN crosswalk c ON c.id = m.crosswalk_id JOIN requirement s ON s.id = m.source_requirement_id JOIN requirement t ON t.id = m.target_requirement_id
      WHERE c.key = $1 ORDER BY s.position, t.position`, ['owasp-nhi-top10-2025-to-iso27001-2022']);
    const imported = await app.sql(`SELECT s.code AS source, t.code AS target, m.relationship::text AS relationship, m.rationale::text AS rationale, m.strength, m.notes
      FROM mapping m JOIN crosswalk c ON c.id = m.crosswalk_id JOIN requirement s ON s.id = m.source_requirement_id JOIN requirement t ON t.id = m.target_requirement_id
      WHERE c.key = $1 ORDER BY s.position, t.position`, ['nhi-own-export']);
    expect(res).toMatchObject({ rowsRead: shipped.length, mappingsCreated: shipped.length });
    expect(imported).toEqual(shipped);

    // into the existing custom crosswalk `nhi-test`: one new mapping, the repeated one skipped
    const add = `objects:
  requirement_mapping_set:
    source_framework_urn: urn:intuitem:risk:framework:owasp-nhi-top10-2025
    target_framework_urn: urn:intuitem:risk:framework:iso27001-2022
    requirement_mappings:
      - { source_requirement_urn: "urn:intuitem:risk:req_node:owasp-nhi-top10-2025:nhi1", target_requirement_urn: "urn:intuitem:risk:req_node:iso27001-2022:a.5.18", relationship: intersect, rationale: functional, strength_of_relationship: 8 }
      - { source_requirement_urn: "urn:intuitem:risk:req_node:owasp-nhi-top10-2025:nhi7", target_requirement_urn: "urn:intuitem:risk:req_node:iso27001-2022:a.5.17", relationship: intersect }
`;
    const added = ok(await app.gql(IMPORT_MAPPINGS, { input: { document: add, format: 'CISO_ASSISTANT_YAML', crosswalkKey: 'nhi-test', provenance: 'more' } })).importMappings;
    expect(added).toMatchObject({ rowsRead: 2, mappingsCreated: 1, duplicatesSkipped: 1 });
    expect(added.crosswalks[0]).toMatchObject({ created: false, crosswalk: { key: 'nhi-test', version: 2, source: 'isms-graph test library' } });

    const before = await counts();
    const shippedTarget = await app.gql(IMPORT_MAPPINGS, { input: { document: add, format: 'CISO_ASSISTANT_YAML', crosswalkKey: 'owasp-nhi-top10-2025-to-iso27001-2022', provenance: 'x' } });
    expect(errorCode(shippedTarget)).toBe('FORBIDDEN');
    expect(await counts()).toEqual(before);
    const otherPair = await app.gql(IMPORT_MAPPINGS, { input: { document: add, format: 'CISO_ASSISTANT_YAML', crosswalkKey: 'nhi-test-2', provenance: 'x' } });
    await expectBadInput(otherPair, before, { path: 'input.crosswalkKey' });
  });
});

describe('bad input: BAD_USER_INPUT naming the place, and nothing of the import written', () => {
  test('malformed documents', async () => {
    const before = await counts();
    const brokenJson = '{\n  "catalog": {\n    "metadata": { "title": "x", }\n  }\n}';
    const json = await expectBadInput(await app.gql(IMPORT_OSCAL, { document: brokenJson, key: 'broken' }), before, { path: '$', line: 3 });
    expect(json.message).toMatch(/not valid JSON/);
    // a truncated copy of the real catalog
    await expectBadInput(await app.gql(IMPORT_OSCAL, { document: SP800_53.slice(0, 100_000), key: 'broken' }), before, { path: '$' });
    await expectBadInput(await app.gql(IMPORT_OSCAL, { document: '{"profile": {}}', key: 'broken' }), before, { path: 'catalog' });
    await expectBadInput(await app.gql(IMPORT_OSCAL, { document: '{"catalog": {"uuid": "x", "metadata": {"title": "t", "oscal-version": "1.1.2"}, "groups": []}}', key: 'broken' }), before, { path: 'catalog.metadata.version' });
    const noTitle = JSON.parse(fixture('oscal/basic-catalog.json'));
    delete noTitle.catalog.groups[1].groups[0].controls[1].title;
    await expectBadInput(await app.gql(IMPORT_OSCAL, { document: JSON.stringify(noTitle), key: 'broken' }), before, { path: 'catalog.groups[1].groups[0].controls[1].title' });

    await expectBadInput(await app.gql(IMPORT_CSV, { key: 'acme-policy', document: 'code,title\nOK-1,fine\nOK-2,"never closed\nOK-3,x\n' }), before, { line: 3 });
    await expectBadInput(await app.gql(IMPORT_CSV, { key: 'acme-policy', document: 'code,title\nOK-1,fi"ne\n' }), before, { line: 2 });
    await expectBadInput(await app.gql(IMPORT_CSV, { key: 'acme-policy', document: '' }), before, { line: 1 });
    await expectBadInput(await app.gql(IMPORT_CSV, { key: 'acme-policy', document: 'title,text\nx,y\n' }), before, { line: 1 });

    const brokenYaml = 'objects:\n  requirement_mapping_set:\n    requirement_mappings: [\n  - a\n';
    const yaml = await expectBadInput(await app.gql(IMPORT_MAPPINGS, { input: { document: brokenYaml, format: 'CISO_ASSISTANT_YAML', crosswalkKey: 'broken', provenance: 'x' } }), before, { path: '$' });
    expect(yaml.extensions.line).toBeGreaterThanOrEqual(3);
    await expectBadInput(await app.gql(IMPORT_MAPPINGS, { input: { document: 'name: no objects\n', format: 'CISO_ASSISTANT_YAML', crosswalkKey: 'broken', provenance: 'x' } }), before, { path: 'objects' });
    await expectBadInput(await app.gql(IMPORT_MAPPINGS, { input: { document: 'source,target\nAC-1,A.5.1\n', format: 'CSV', sourceFrameworkKey: 'nist-sp800-53-r5', targetFrameworkKey: 'iso27001-2022', crosswalkKey: 'broken', provenance: 'x' } }), before, { line: 1 });
  });

  test('unknown framework', async () => {
    const before = await counts();
    const csv = await expectBadInput(await app.gql(IMPORT_MAPPINGS, {
      input: { document: SP800_53_TO_ISO, format: 'CSV', sourceFrameworkKey: 'nist-sp800-53-r4', targetFrameworkKey: 'iso27001-2022', crosswalkKey: 'broken', provenance: 'x' },
    }), before, { path: 'input.sourceFrameworkKey' });
    expect(csv.extensions.field).toBe('input.sourceFrameworkKey');
    const yaml = fixture('ciso-assistant/nhi-multi-set.yaml').replace('urn:intuitem:risk:framework:nist-csf-2.0', 'urn:intuitem:risk:framework:nist-csf-3.0');
    const error = await expectBadInput(await app.gql(IMPORT_MAPPINGS, { input: { document: yaml, format: 'CISO_ASSISTANT_YAML', crosswalkKey: 'broken', provenance: 'x' } }), before,
      { path: 'objects.requirement_mapping_sets[1].target_framework_urn', line: 46 });
    expect(error.message).toContain('nist-csf-3.0');
    await expectBadInput(await app.gql(IMPORT_CSV, { key: 'no-such-framework', document: 'code,title\nA,b\n' }), before, { path: 'frameworkKey' });
  });

  test('unknown requirement code in a mapping file (the last of 642 rows: none of the others is written)', async () => {
    const before = await counts();
    const lines = SP800_53_TO_ISO.trimEnd().split('\r\n');
    lines[lines.length - 1] = 'SR-7,A.5.99,intersect';
    const csv = await expectBadInput(await app.gql(IMPORT_MAPPINGS, {
      input: { document: lines.join('\r\n'), format: 'CSV', sourceFrameworkKey: 'nist-sp800-53-r5', targetFrameworkKey: 'iso27001-2022', crosswalkKey: 'sp800-53-broken', provenance: 'x' },
    }), before, { line: 643 });
    expect(csv.message).toContain('A.5.99');
    lines[lines.length - 1] = 'ZZ-1,A.5.1,intersect';
    await expectBadInput(await app.gql(IMPORT_MAPPINGS, {
      input: { document: lines.join('\r\n'), format: 'CSV', sourceFrameworkKey: 'nist-sp800-53-r5', targetFrameworkKey: 'iso27001-2022', crosswalkKey: 'sp800-53-r5-to-iso27001', provenance: 'x' },
    }), before, { line: 643 });
    const yaml = fixture('ciso-assistant/nhi-multi-set.yaml').replace('nist-csf-2.0:pr.aa-03', 'nist-csf-2.0:pr.aa-99');
    await expectBadInput(await app.gql(IMPORT_MAPPINGS, { input: { document: yaml, format: 'CISO_ASSISTANT_YAML', crosswalkKey: 'broken', provenance: 'x' } }), before,
      { path: 'objects.requirement_mapping_sets[1].requirement_mappings[1]', line: 53 });
  });

  test('duplicate code', async () => {
    const before = await counts();
    await expectBadInput(await app.gql(IMPORT_CSV, { key: 'acme-policy', document: 'code,title\nDUP-1,first\nDUP-2,second\nDUP-1,again\n' }), before, { line: 4 });
    // the same existing requirement named twice (by code and by its lower-case spelling)
    await expectBadInput(await app.gql(IMPORT_CSV, { key: 'acme-policy', document: 'code,title\nPOL-1,a\npol-1,b\n' }), before, { line: 3 });
    const doc = JSON.parse(fixture('oscal/basic-catalog.json'));
    doc.catalog.groups[1].groups[0].controls[1].props[0].value = '1.1.1';
    await expectBadInput(await app.gql(IMPORT_OSCAL, { document: JSON.stringify(doc), key: 'dup' }), before, { path: 'catalog.groups[1].groups[0].controls[1]' });
    // an existing key + version
    await expectBadInput(await app.gql(IMPORT_OSCAL, { document: fixture('oscal/basic-catalog.json'), key: 'oscal-basic' }), before, { path: 'catalog.metadata.version' });
  });

  test('relationship outside the vocabulary', async () => {
    const before = await counts();
    const csv = await expectBadInput(await app.gql(IMPORT_MAPPINGS, {
      input: { document: 'source,target,relationship\nAC-1,5.2,intersect\nAC-2,A.5.16,overlaps\n', format: 'CSV', sourceFrameworkKey: 'nist-sp800-53-r5', targetFrameworkKey: 'iso27001-2022', crosswalkKey: 'broken', provenance: 'x' },
    }), before, { line: 3 });
    expect(csv.message).toContain('overlaps');
    const yaml = fixture('ciso-assistant/nhi-multi-set.yaml').replace(/relationship: subset/, 'relationship: includes');
    await expectBadInput(await app.gql(IMPORT_MAPPINGS, { input: { document: yaml, format: 'CISO_ASSISTANT_YAML', crosswalkKey: 'broken', provenance: 'x' } }), before,
      { path: 'objects.requirement_mapping_sets[0].requirement_mappings[2].relationship', line: 39 });
  });

  test('a cycle in a requirement tree', async () => {
    const before = await counts();
    const error = await expectBadInput(await app.gql(IMPORT_CSV, { key: 'acme-policy', document: 'code,title,parent\nCYC-A,a,CYC-B\nCYC-B,b,CYC-A\n' }), before, { line: 2 });
    expect(error.message).toMatch(/cycle/);
    // an unknown parent
    await expectBadInput(await app.gql(IMPORT_CSV, { key: 'acme-policy', document: 'code,title,parent\nORPHAN,a,NOPE\n' }), before, { line: 2 });
    // a chain deeper than 64 levels: DEEP-65 is the first too deep (line 67)
    const chain = Array.from({ length: 70 }, (_, i) => `DEEP-${i},level ${i},${i ? `DEEP-${i - 1}` : ''}`);
    await expectBadInput(await app.gql(IMPORT_CSV, { key: 'acme-policy', document: ['code,title,parent', ...chain].join('\n') }), before, { line: 67 });
  });
});

describe('npm run import (CLI)', () => {
  const cli = path.join(__dirname, '..', 'dist', 'src', 'cli', 'import.js');
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, [cli, ...args], { env: { ...process.env, DATABASE_URL: databaseUrl(app.databaseName), LOG_LEVEL: 'silent' } });

  test('imports a catalog and mappings all or nothing, printing counts', async () => {
    const { stdout } = await run([path.join(FIXTURES, 'oscal/basic-catalog.json'), '--format', 'oscal', '--framework', 'cli-basic']);
    expect(stdout).toMatch(/^imported OSCAL catalog as cli-basic 1\.1 .*: 8 rows read, 8 requirements created, 0 updated, 0 withdrawn in \d+ ms\n$/);
    const mappings = path.join(FIXTURES, 'ciso-assistant/nhi-multi-set.yaml');
    const out = (await run([mappings, '--format', 'ciso-yaml', '--crosswalk', 'cli-nhi'])).stdout;
    expect(out).toContain('crosswalk cli-nhi (created, DRAFT): 3 mappings created');
    expect(out).toContain('crosswalk cli-nhi-2 (created, DRAFT): 4 mappings created');
    expect(out).toMatch(/7 rows read, 7 mappings created, 0 duplicates skipped/);

    const before = await counts();
    const failed = await run([path.join(FIXTURES, 'oscal/basic-catalog.json'), '--format', 'oscal', '--framework', 'cli-basic']).then(() => null, (err) => err);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/import failed, nothing written: BAD_USER_INPUT at path catalog\.metadata\.version: Framework cli-basic version 1\.1 already exists/);
    const usage = await run([mappings, '--format', 'xml']).then(() => null, (err) => err);
    expect(usage.code).toBe(2);
    expect(await counts()).toEqual(before);
  });
});
