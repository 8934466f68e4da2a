import fs from 'node:fs';
import path from 'node:path';
import { startTestApp, ok, errorCode, type TestApp } from './helpers/app';
import { Permission } from '../src/auth/permissions';

const FIXTURES = path.join(__dirname, 'fixtures');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

const IMPORT_OSCAL = `mutation($document: String!, $key: String!) {
  importOscalCatalog(document: $document, frameworkKey: $key) { requirementsCreated framework { id key version name kind publisher licence sourceUrl attribution } }
}`;
const IMPORT_MAPPINGS = `mutation($input: ImportMappingsInput!) {
  importMappings(input: $input) { rowsRead mappingsCreated duplicatesSkipped crosswalks { crosswalk { id key } } }
}`;
const SHIPPED_FRAMEWORKS = ['iso27001-2022', 'iso27002-2022', 'nist-csf-2.0', 'owasp-nhi-top10-2025'];
const SHIPPED_CROSSWALKS = ['iso27002-2022-to-iso27001-2022', 'nist-csf-2.0-to-iso27001-2022', 'owasp-nhi-top10-2025-to-iso27001-2022', 'owasp-nhi-top10-2025-to-nist-csf-2.0'];

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  // attributes on the shipped 27002 catalog, so that their export is exercised too
  ok(await app.gql('mutation($d: String!) { importRequirementsCsv(frameworkKey: "iso27002-2022", document: $d) { requirementsUpdated } }', {
    d: 'code,control_type,security_properties,cybersecurity_concepts,operational_capabilities,security_domains\n5.1,Preventive,Confidentiality;Integrity;Availability,Identify,Governance,Governance_and_Ecosystem;Resilience\n8.16,Detective;Corrective,Integrity,Detect;Respond,Information_security_event_management,Defence\n',
  }));
});
afterAll(() => app.close());

/** Every stored column of a framework version's requirements that an import sets, in catalog order. */
function requirementRows(frameworkId: string) {
  return app.sql(
    `SELECT r.code, r.title, r.text, r.kind::text AS kind, r.assessable, p.code AS parent, r.aliases, r.withdrawn, r.examples, r.url, r.attribute_values AS attributes
       FROM requirement r LEFT JOIN requirement p ON p.id = r.parent_id
      WHERE r.framework_id = $1 AND r.archived_at IS NULL ORDER BY r.position`,
    [frameworkId],
  );
}

function mappingRows(crosswalkId: string) {
  return app.sql(
    `SELECT s.code AS source, t.code AS target, m.relationship::text AS relationship, m.rationale::text AS rationale, m.strength, m.notes
       FROM mapping m JOIN requirement s ON s.id = m.source_requirement_id JOIN requirement t ON t.id = m.target_requirement_id
      WHERE m.crosswalk_id = $1 AND m.archived_at IS NULL ORDER BY s.position, t.position`,
    [crosswalkId],
  );
}

async function frameworkByKey(key: string) {
  return ok(await app.gql('query($key: String!) { framework(key: $key) { id key version name kind publisher licence sourceUrl attribution } }', { key })).framework;
}

/** Exports a framework as OSCAL, imports the export under `newKey`, and returns both frameworks. */
async function oscalRoundTrip(key: string, newKey: string) {
  const original = await frameworkByKey(key);
  const { framework } = ok(await app.gql('query($id: ID!) { framework(id: $id) { oscal } }', { id: original.id }));
  const imported = ok(await app.gql(IMPORT_OSCAL, { document: JSON.stringify(framework.oscal), key: newKey })).importOscalCatalog;
  return { original, imported, oscal: framework.oscal };
}

describe('Framework.oscal', () => {
  test.each(SHIPPED_FRAMEWORKS)('%s: the export imports back to the same requirements', async (key) => {
    const { original, imported } = await oscalRoundTrip(key, `rt-${key}`);
    const { id: _a, key: _k, ...meta } = original;
    const { id: _b, key: newKey, ...importedMeta } = imported.framework;
    expect(newKey).toBe(`rt-${key}`);
    expect(importedMeta).toEqual(meta);
    const before = await requirementRows(original.id);
    expect(before.length).toBeGreaterThan(9);
    expect(await requirementRows(imported.framework.id)).toEqual(before);
  });

  test('iso27001-2022 as OSCAL 1.1: clauses and themes as groups, assessable sub-clauses and controls as controls', async () => {
    const { framework } = ok(await app.gql('{ framework(key: "iso27001-2022") { oscal } }'));
    const catalog = framework.oscal.catalog;
    expect(catalog.metadata).toMatchObject({ title: expect.any(String), version: '2022', 'oscal-version': '1.1.2' });
    expect(catalog.controls).toBeUndefined();
    const clause4 = catalog.groups.find((g: any) => g.props.some((p: any) => p.name === 'label' && p.value === '4'));
    expect(clause4.controls.map((c: any) => c.props.find((p: any) => p.name === 'label').value)).toEqual(['4.1', '4.2', '4.3', '4.4']);
    const themes = catalog.groups.filter((g: any) => /^A\.\d$/.test(g.props.find((p: any) => p.name === 'label').value));
    expect(themes.map((g: any) => g.controls.length)).toEqual([37, 8, 14, 34]);
    const control = themes[0].controls[0];
    expect(control).toMatchObject({ id: expect.stringMatching(/^[a-z_][\w.-]*$/i), title: expect.any(String) });
    expect(control.props).toEqual(expect.arrayContaining([{ name: 'label', value: 'A.5.1' }, { name: 'requirement-kind', ns: 'urn:isms-graph:ns:oscal', value: 'CONTROL' }]));
  });

  test('the full SP 800-53 rev5 catalog: export and import again give the same 1,209 rows (aliases, withdrawn, text)', async () => {
    const first = ok(await app.gql(IMPORT_OSCAL, { document: fixture('oscal/NIST_SP-800-53_rev5_catalog.2021-06-08.json'), key: 'sp800-53' })).importOscalCatalog;
    expect(first.requirementsCreated).toBe(1209);
    const started = Date.now();
    const { imported, oscal } = await oscalRoundTrip('sp800-53', 'sp800-53-again');
    process.stdout.write(`SP 800-53 rev5: OSCAL export and re-import in ${Date.now() - started} ms\n`);
    expect(await requirementRows(imported.framework.id)).toEqual(await requirementRows(first.framework.id));

    const ac = oscal.catalog.groups[0];
    expect(ac).toMatchObject({ id: 'ac', title: 'Access Control' });
    const ac2 = ac.controls.find((c: any) => c.id === 'ac-2');
    expect(ac2.props[0]).toEqual({ name: 'label', value: 'AC-2' });
    const ac212 = ac2.controls.find((c: any) => c.id === 'ac-2.12');
    expect(ac212.props[0]).toEqual({ name: 'label', value: 'AC-2(12)' });
    expect(ac212.parts[0]).toMatchObject({ name: 'statement', prose: expect.stringContaining('Monitor system accounts for') });
    const ac210 = ac2.controls.find((c: any) => c.id === 'ac-2.10');
    expect(ac210.props).toContainEqual({ name: 'status', value: 'withdrawn' });
  });

  test('the SP 800-53 LOW baseline (OSCAL 1.1, several labels per control) round-trips too', async () => {
    ok(await app.gql(IMPORT_OSCAL, { document: fixture('oscal/NIST_SP-800-53_rev5_LOW-baseline-resolved-profile_catalog.json'), key: 'sp800-53-low' }));
    const { original, imported } = await oscalRoundTrip('sp800-53-low', 'sp800-53-low-again');
    expect(await requirementRows(imported.framework.id)).toEqual(await requirementRows(original.id));
  });

  test('listing frameworks with their export runs a fixed number of statements', async () => {
    const query = 'query($n: Int) { frameworks(first: $n) { edges { node { key oscal } } } }';
    const one = await app.gql(query, { n: 1 });
    const many = await app.gql(query, { n: 4 });
    expect(ok(many).frameworks.edges).toHaveLength(4);
    expect(one.statements).toBeGreaterThan(0);
    expect(many.statements).toBe(one.statements);
  });

  test('exports need isms:read', async () => {
    const writer = await app.createKey([Permission.CATALOG_WRITE]);
    expect(errorCode(await app.gql('{ framework(key: "owasp-nhi-top10-2025") { oscal } }', undefined, writer.secret))).toBe('FORBIDDEN');
    const reader = await app.createKey([Permission.ISMS_READ]);
    expect(ok(await app.gql('{ crosswalk(key: "owasp-nhi-top10-2025-to-nist-csf-2.0") { csv } }', undefined, reader.secret)).crosswalk.csv).toMatch(/^source,target,relationship,rationale,strength,notes\r\n/);
  });
});

describe('Crosswalk.csv and Crosswalk.cisoAssistantYaml', () => {
  const crosswalk = async (key: string) =>
    ok(await app.gql('query($key: String!) { crosswalk(key: $key) { id csv cisoAssistantYaml sourceFramework { key version } targetFramework { key version } } }', { key })).crosswalk;

  test.each(SHIPPED_CROSSWALKS)('%s: both exports import back to the same mappings', async (key) => {
    const original = await crosswalk(key);
    const rows = await mappingRows(original.id);
    expect(rows.length).toBeGreaterThan(9);

    const fromCsv = ok(await app.gql(IMPORT_MAPPINGS, {
      input: { document: original.csv, format: 'CSV', sourceFrameworkKey: original.sourceFramework.key, targetFrameworkKey: original.targetFramework.key, crosswalkKey: `csv-${key}`, provenance: 'round trip' },
    })).importMappings;
    expect(fromCsv).toMatchObject({ rowsRead: rows.length, mappingsCreated: rows.length, duplicatesSkipped: 0 });
    expect(await mappingRows(fromCsv.crosswalks[0].crosswalk.id)).toEqual(rows);

    // the YAML names its frameworks by URN: no keys given
    const fromYaml = ok(await app.gql(IMPORT_MAPPINGS, { input: { document: original.cisoAssistantYaml, format: 'CISO_ASSISTANT_YAML', crosswalkKey: `yaml-${key}`, provenance: 'round trip' } })).importMappings;
    expect(fromYaml).toMatchObject({ rowsRead: rows.length, mappingsCreated: rows.length });
    expect(await mappingRows(fromYaml.crosswalks[0].crosswalk.id)).toEqual(rows);
  });

  test('the 642 SP 800-53 → ISO 27001 mappings round-trip through CSV and YAML (codes such as AC-2(12) in lower-case URNs)', async () => {
    const imported = ok(await app.gql(IMPORT_MAPPINGS, {
      input: { document: fixture('mapping-nist-sp-800-53-rev5-to-iso27001-2022.csv'), format: 'CSV', sourceFrameworkKey: 'sp800-53', targetFrameworkKey: 'iso27001-2022', crosswalkKey: 'sp800-53-to-iso', provenance: 'NIST OLIR entry 155' },
    })).importMappings;
    expect(imported.mappingsCreated).toBe(642);
    const original = await crosswalk('sp800-53-to-iso');
    expect(original.cisoAssistantYaml).toContain('source_requirement_urn: urn:intuitem:risk:req_node:sp800-53:ac-2(12)');
    const rows = await mappingRows(original.id);
    const fromCsv = ok(await app.gql(IMPORT_MAPPINGS, {
      input: { document: original.csv, format: 'CSV', sourceFrameworkKey: 'sp800-53', targetFrameworkKey: 'iso27001-2022', crosswalkKey: 'sp800-53-to-iso-csv', provenance: 'round trip' },
    })).importMappings;
    expect(await mappingRows(fromCsv.crosswalks[0].crosswalk.id)).toEqual(rows);
    const fromYaml = ok(await app.gql(IMPORT_MAPPINGS, { input: { document: original.cisoAssistantYaml, format: 'CISO_ASSISTANT_YAML', crosswalkKey: 'sp800-53-to-iso-yaml', provenance: 'round trip' } })).importMappings;
    expect(await mappingRows(fromYaml.crosswalks[0].crosswalk.id)).toEqual(rows);
  });

  test('notes with commas, quotes and line breaks survive the CSV', async () => {
    const csv = 'source,target,relationship,rationale,strength,notes\r\nNHI1,A.5.18,equal,semantic,10,"Quoted ""note"", with comma\nand a second line"\r\nNHI2,A.5.17,subset_of,,,\r\n';
    const first = ok(await app.gql(IMPORT_MAPPINGS, { input: { document: csv, format: 'CSV', sourceFrameworkKey: 'owasp-nhi-top10-2025', targetFrameworkKey: 'iso27001-2022', crosswalkKey: 'notes-test', provenance: 'test' } })).importMappings;
    const exported = (await crosswalk('notes-test')).csv;
    expect(exported).toBe('source,target,relationship,rationale,strength,notes\r\nNHI1,A.5.18,EQUAL,SEMANTIC,10,"Quoted ""note"", with comma\nand a second line"\r\nNHI2,A.5.17,SUBSET_OF,,,\r\n');
    const again = ok(await app.gql(IMPORT_MAPPINGS, { input: { document: exported, format: 'CSV', sourceFrameworkKey: 'owasp-nhi-top10-2025', targetFrameworkKey: 'iso27001-2022', crosswalkKey: 'notes-test-2', provenance: 'test' } })).importMappings;
    expect(await mappingRows(again.crosswalks[0].crosswalk.id)).toEqual(await mappingRows(first.crosswalks[0].crosswalk.id));
  });

  test('the committed CISO Assistant fixture is the project\'s own export', async () => {
    const current = (await crosswalk('owasp-nhi-top10-2025-to-iso27001-2022')).cisoAssistantYaml;
    const withoutDate = (text: string) => text.replace(/^publication_date: .*$/m, '');
    expect(withoutDate(fixture('ciso-assistant/owasp-nhi-top10-2025-to-iso27001-2022.yaml'))).toBe(withoutDate(current));
  });

  test('listing crosswalks with their exports runs a fixed number of statements', async () => {
    const query = 'query($n: Int) { crosswalks(first: $n) { edges { node { key csv cisoAssistantYaml } } } }';
    const one = await app.gql(query, { n: 1 });
    const many = await app.gql(query, { n: 4 });
    expect(ok(many).crosswalks.edges).toHaveLength(4);
    expect(one.statements).toBeGreaterThan(0);
    expect(many.statements).toBe(one.statements);
  });
});
