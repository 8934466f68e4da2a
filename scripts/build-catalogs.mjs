#!/usr/bin/env node
// Builds the shipped catalog data files under src/catalogs/data from the reference data set.
//
//   node scripts/build-catalogs.mjs [referenceDir]      (default: ../shared/reference)
//
// Node 20 built-ins only. Everything is read and validated first; files are written only when
// every check passes, and the script exits non-zero (naming the fault) otherwise. The output is
// deterministic: running it twice on the same reference data gives byte-identical files.
// See src/catalogs/data/README.md for the format, sources and licences.

import { readFileSync, writeFileSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REF = resolve(process.argv[2] ?? '../shared/reference');
const OUT = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'catalogs', 'data');

class DataError extends Error {}
function fail(message) {
  throw new DataError(message);
}
function check(condition, message) {
  if (!condition) fail(message);
}
const notices = [];
function notice(message) {
  notices.push(message);
}

// ---------------------------------------------------------------------------------------------
// Readers

function readText(rel) {
  const file = join(REF, rel);
  try {
    return readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    fail(`cannot read ${file}: ${e.message}`);
  }
}

function readJson(rel) {
  const text = readText(rel);
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(`${rel}: invalid JSON: ${e.message}`);
  }
}

/** RFC 4180 CSV: quoted fields, "" escapes, CRLF or LF line ends. Returns objects keyed by the header row, each with its 1-based `__line`. */
function readCsv(rel) {
  const text = readText(rel);
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"') {
      check(field === '', `${rel}:${line}: quote inside an unquoted field`);
      quoted = true;
    } else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push({ cells: row, line: rowLine });
      row = [];
      field = '';
      line++;
      rowLine = line;
    } else field += ch;
  }
  check(!quoted, `${rel}: unterminated quoted field`);
  if (field !== '' || row.length) {
    row.push(field);
    rows.push({ cells: row, line: rowLine });
  }
  const data = rows.filter((r) => !(r.cells.length === 1 && r.cells[0] === ''));
  check(data.length > 0, `${rel}: empty file`);
  const header = data[0].cells.map((h) => h.trim());
  return data.slice(1).map(({ cells, line: l }) => {
    check(cells.length === header.length, `${rel}:${l}: ${cells.length} fields, header has ${header.length}`);
    const obj = Object.fromEntries(header.map((h, i) => [h, cells[i].trim()]));
    Object.defineProperty(obj, '__line', { value: l });
    return obj;
  });
}

// ---------------------------------------------------------------------------------------------
// Validation of a framework file

const FRAMEWORK_KINDS = new Set(['MANAGEMENT_SYSTEM', 'CONTROL_CATALOG', 'RISK_TAXONOMY']);
const REQUIREMENT_KINDS = new Set(['CLAUSE', 'THEME', 'CONTROL', 'FUNCTION', 'CATEGORY', 'SUBCATEGORY', 'RISK']);

function validateFramework(fw) {
  const where = fw.key;
  for (const f of ['key', 'version', 'name', 'kind', 'publisher', 'licence', 'sourceUrl', 'attribution']) {
    check(typeof fw[f] === 'string' && fw[f].trim() !== '', `${where}: missing ${f}`);
  }
  check(FRAMEWORK_KINDS.has(fw.kind), `${where}: bad kind ${fw.kind}`);
  const seen = new Map();
  fw.requirements.forEach((r, i) => {
    const at = `${where}: requirements[${i}] (${r.code})`;
    check(typeof r.code === 'string' && /^\S+$/.test(r.code), `${at}: bad code`);
    check(!seen.has(r.code), `${at}: duplicate code`);
    check(typeof r.title === 'string' && r.title.trim() !== '' && r.title === r.title.trim(), `${at}: bad title`);
    check(r.text === null || (typeof r.text === 'string' && r.text.trim() !== ''), `${at}: text must be null or non-empty`);
    check(REQUIREMENT_KINDS.has(r.kind), `${at}: bad kind ${r.kind}`);
    check(typeof r.assessable === 'boolean', `${at}: assessable must be boolean`);
    if (r.parent !== null) {
      check(seen.has(r.parent), `${at}: parent ${r.parent} unknown or not before its child`);
    }
    if ('examples' in r) check(Array.isArray(r.examples) && r.examples.every((e) => typeof e === 'string' && e), `${at}: bad examples`);
    if ('url' in r) check(/^https:\/\//.test(r.url), `${at}: bad url`);
    seen.set(r.code, r);
  });
  return seen;
}

function countBy(items, fn) {
  const out = {};
  for (const x of items) {
    const k = fn(x);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

function expectCounts(label, actual, expected) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, `${label}: counts ${a}, expected ${e}`);
}

// ---------------------------------------------------------------------------------------------
// ISO/IEC 27001:2022 and 27002:2022

// Annex A theme titles as ISO/IEC 27001:2022 Table A.1 / ISO/IEC 27002:2022 clauses 5-8 spell them.
const THEME_TITLES = {
  5: 'Organizational controls',
  6: 'People controls',
  7: 'Physical controls',
  8: 'Technological controls',
};
// Controls per theme in the 2022 edition.
const THEME_SIZES = { 5: 37, 6: 8, 7: 14, 8: 34 };

// Which sub-clauses of 4-10 are assessable. The reference marks the four sub-clauses that only
// group sub-sub-clauses (6.1, 7.5, 9.2, 9.3) as not assessable: their requirements are stated in
// 6.1.1-6.1.3, 7.5.1-7.5.3, 9.2.1-9.2.2 and 9.3.1-9.3.3, which the CSF references point at. We
// keep the reference's flags; set this to true to make every sub-clause assessable instead.
const ALL_SUBCLAUSES_ASSESSABLE = false;

const ISO27001_ATTRIBUTION =
  'ISO/IEC 27001:2022 "Information security, cybersecurity and privacy protection — Information security management ' +
  'systems — Requirements", © ISO/IEC 2022, published by ISO (https://www.iso.org/standard/27001). Only clause and ' +
  'Annex A control identifiers and their short titles are reproduced here, as references to the standard; no ' +
  'requirement or control text is included. Obtain the standard from ISO or your national standards body. Outline ' +
  'cross-checked against the ISO 27001:2022 outline of intuitem/ciso-assistant-community (backend/library/libraries/' +
  'iso27001-2022.yaml, commit f990d7b1), identifiers and titles only, with titles corrected to ISO\'s wording.';

const ISO27002_ATTRIBUTION =
  'ISO/IEC 27002:2022 "Information security, cybersecurity and privacy protection — Information security controls", ' +
  '© ISO/IEC 2022, published by ISO (https://www.iso.org/standard/75652.html). Only control identifiers and their ' +
  'short titles (identical to ISO/IEC 27001:2022 Annex A) are reproduced here, as references to the standard; no ' +
  'control, purpose or guidance text and no per-control attribute values are included. The attribute vocabularies ' +
  '(control type, information security properties, cybersecurity concepts, operational capabilities, security ' +
  'domains) are enums of the product; users import the per-control values from their licensed copy.';

function buildIso() {
  const ref = readJson('iso27001-2022/iso27001-2022-ids-titles.json');
  check(Array.isArray(ref.items), 'iso27001-2022-ids-titles.json: no items');
  const csv = readCsv('iso27001-2022/iso27001-2022-ids-titles.csv');

  // The CSV and the JSON are two renderings of one list: they must agree.
  check(csv.length === ref.items.length, `ISO reference: CSV has ${csv.length} rows, JSON ${ref.items.length} items`);
  ref.items.forEach((it, i) => {
    const c = csv[i];
    for (const [f, v] of [['id', it.id], ['kind', it.kind], ['parent', it.parent ?? ''], ['title', it.title]]) {
      check(c[f] === v, `iso27001-2022-ids-titles.csv:${c.__line}: ${f} "${c[f]}" differs from the JSON's "${v}"`);
    }
  });

  const iso27001 = [];
  const iso27002 = [];
  for (const it of ref.items) {
    const at = `iso27001-2022-ids-titles.json item ${it.id}`;
    check(typeof it.title === 'string' && it.title.trim() === it.title && it.title, `${at}: bad title`);
    switch (it.kind) {
      case 'clause':
        check(/^(4|5|6|7|8|9|10)$/.test(it.id) && it.parent === null, `${at}: clause must be 4-10 without parent`);
        iso27001.push({ code: it.id, title: it.title, text: null, kind: 'CLAUSE', assessable: false, parent: null });
        break;
      case 'subclause': {
        check(/^(4|5|6|7|8|9|10)(\.\d+){1,2}$/.test(it.id), `${at}: bad sub-clause id`);
        check(it.parent === it.id.replace(/\.\d+$/, ''), `${at}: parent ${it.parent} is not the enclosing clause`);
        check(typeof it.assessable === 'boolean', `${at}: assessable missing`);
        const assessable = ALL_SUBCLAUSES_ASSESSABLE ? true : it.assessable;
        iso27001.push({ code: it.id, title: it.title, text: null, kind: 'CLAUSE', assessable, parent: it.parent });
        break;
      }
      case 'annex_a_theme': {
        const m = /^A\.([5-8])$/.exec(it.id);
        check(m && it.parent === null, `${at}: bad theme`);
        const title = THEME_TITLES[m[1]];
        if (it.title !== title) notice(`ISO theme ${it.id}: reference title "${it.title}" replaced by ISO's "${title}"`);
        check(it.title.toLowerCase().replace(/s/g, 'z') === title.toLowerCase().replace(/s/g, 'z'), `${at}: title "${it.title}" is not "${title}"`);
        iso27001.push({ code: it.id, title, text: null, kind: 'THEME', assessable: false, parent: null });
        iso27002.push({ code: m[1], title, text: null, kind: 'THEME', assessable: false, parent: null });
        break;
      }
      case 'annex_a_control': {
        const m = /^A\.([5-8])\.(\d+)$/.exec(it.id);
        check(m && it.parent === `A.${m[1]}`, `${at}: bad control id or parent`);
        iso27001.push({ code: it.id, title: it.title, text: null, kind: 'CONTROL', assessable: true, parent: it.parent });
        iso27002.push({ code: `${m[1]}.${m[2]}`, title: it.title, text: null, kind: 'CONTROL', assessable: true, parent: m[1] });
        break;
      }
      default:
        fail(`${at}: unknown kind ${it.kind}`);
    }
  }

  // Annex A: controls numbered 1..n without gaps in each theme, in order.
  for (const [theme, size] of Object.entries(THEME_SIZES)) {
    const codes = iso27001.filter((r) => r.parent === `A.${theme}`).map((r) => r.code);
    const expected = Array.from({ length: size }, (_, i) => `A.${theme}.${i + 1}`);
    check(codes.join() === expected.join(), `ISO Annex A theme ${theme}: got ${codes.length} controls [${codes.join(' ')}], expected A.${theme}.1-A.${theme}.${size}`);
  }

  const fw27001 = {
    key: 'iso27001-2022',
    version: '2022',
    name: 'ISO/IEC 27001:2022 Information security management systems — Requirements',
    kind: 'MANAGEMENT_SYSTEM',
    publisher: 'ISO/IEC (International Organization for Standardization / International Electrotechnical Commission)',
    licence: 'Identifiers and short titles only (references to a copyrighted standard); the text of ISO/IEC 27001:2022 is © ISO/IEC and is not included.',
    sourceUrl: 'https://www.iso.org/standard/27001',
    attribution: ISO27001_ATTRIBUTION,
    requirements: iso27001,
  };
  const fw27002 = {
    key: 'iso27002-2022',
    version: '2022',
    name: 'ISO/IEC 27002:2022 Information security controls',
    kind: 'CONTROL_CATALOG',
    publisher: 'ISO/IEC (International Organization for Standardization / International Electrotechnical Commission)',
    licence: 'Identifiers and short titles only (references to a copyrighted standard); the text of ISO/IEC 27002:2022 is © ISO/IEC and is not included.',
    sourceUrl: 'https://www.iso.org/standard/75652.html',
    attribution: ISO27002_ATTRIBUTION,
    requirements: iso27002,
  };

  validateFramework(fw27001);
  validateFramework(fw27002);
  check(iso27001.every((r) => r.text === null) && iso27002.every((r) => r.text === null), 'ISO: text must be null everywhere');
  const clauses = iso27001.filter((r) => r.kind === 'CLAUSE');
  expectCounts('iso27001-2022', {
    clauses: clauses.filter((r) => r.parent === null).length,
    subclauses: clauses.filter((r) => r.parent !== null).length,
    themes: iso27001.filter((r) => r.kind === 'THEME').length,
    controls: iso27001.filter((r) => r.kind === 'CONTROL').length,
  }, { clauses: 7, subclauses: 34, themes: 4, controls: 93 });
  expectCounts('iso27002-2022', countBy(iso27002, (r) => r.kind), { THEME: 4, CONTROL: 93 });
  return { fw27001, fw27002 };
}

// ---------------------------------------------------------------------------------------------
// NIST CSF 2.0

function buildCsf() {
  const core = readJson('nist-csf-2.0/nist-csf-2.0-core.json');
  for (const k of ['functions', 'categories', 'subcategories', 'implementation_examples']) {
    check(Array.isArray(core[k]), `nist-csf-2.0-core.json: no ${k}`);
  }
  const bySort = (a, b) => (a.sort_id < b.sort_id ? -1 : a.sort_id > b.sort_id ? 1 : 0);
  const functions = [...core.functions].sort(bySort);
  const categories = [...core.categories].sort(bySort);
  const subcategories = [...core.subcategories].sort(bySort);

  const examples = new Map();
  for (const e of core.implementation_examples) {
    check(typeof e.text === 'string' && e.text.trim(), `CSF example ${e.id}: empty text`);
    if (!examples.has(e.subcategory)) examples.set(e.subcategory, []);
    examples.get(e.subcategory).push(e);
  }
  for (const list of examples.values()) list.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));

  const reqs = [];
  for (const f of functions) {
    check(/^[A-Z]{2}$/.test(f.id) && f.name && f.text, `CSF function ${f.id}: bad entry`);
    reqs.push({ code: f.id, title: f.name, text: f.text, kind: 'FUNCTION', assessable: false, parent: null });
    for (const c of categories.filter((x) => x.function === f.id)) {
      check(new RegExp(`^${f.id}\\.[A-Z]{2}$`).test(c.id) && c.name && c.text, `CSF category ${c.id}: bad entry`);
      reqs.push({ code: c.id, title: c.name, text: c.text, kind: 'CATEGORY', assessable: false, parent: f.id });
      for (const s of subcategories.filter((x) => x.category === c.id)) {
        check(new RegExp(`^${c.id.replace('.', '\\.')}-\\d{2}$`).test(s.id) && s.function === f.id && s.text, `CSF subcategory ${s.id}: bad entry`);
        const ex = examples.get(s.id) ?? [];
        if (!ex.length) notice(`CSF ${s.id}: no implementation examples`);
        // A subcategory has no name of its own: its title is its outcome statement.
        reqs.push({ code: s.id, title: s.text, text: s.text, kind: 'SUBCATEGORY', assessable: true, parent: c.id, examples: ex.map((e) => e.text) });
      }
    }
  }
  const placed = new Set(reqs.map((r) => r.code));
  for (const c of categories) check(placed.has(c.id), `CSF category ${c.id}: unknown function ${c.function}`);
  for (const s of subcategories) check(placed.has(s.id), `CSF subcategory ${s.id}: unknown category ${s.category}`);
  for (const id of examples.keys()) check(placed.has(id), `CSF examples for unknown subcategory ${id}`);

  // The CSV rendering of the subcategories must agree with the JSON.
  const csv = readCsv('nist-csf-2.0/nist-csf-2.0-subcategories.csv');
  check(csv.length === subcategories.length, `nist-csf-2.0-subcategories.csv: ${csv.length} rows, JSON has ${subcategories.length}`);
  const subText = new Map(subcategories.map((s) => [s.id, s]));
  for (const row of csv) {
    const s = subText.get(row.subcategory_id);
    check(s, `nist-csf-2.0-subcategories.csv:${row.__line}: unknown ${row.subcategory_id}`);
    check(s.text === row.subcategory_text && s.category === row.category_id && s.function === row.function_id, `nist-csf-2.0-subcategories.csv:${row.__line}: differs from the JSON for ${row.subcategory_id}`);
  }

  const src = core.source ?? {};
  const fw = {
    key: 'nist-csf-2.0',
    version: '2.0',
    name: 'NIST Cybersecurity Framework (CSF) 2.0',
    kind: 'CONTROL_CATALOG',
    publisher: 'National Institute of Standards and Technology (NIST), U.S. Department of Commerce',
    licence: 'Public domain (work of the U.S. Government, 17 U.S.C. 105); the OSCAL rendering is additionally released under CC0 1.0.',
    sourceUrl: `https://github.com/usnistgov/oscal-content/blob/${src.commit ?? 'main'}/src/nist.gov/CSF/v2.0/xml/NIST_CSF_v2.0_catalog.xml`,
    attribution:
      'NIST Cybersecurity Framework (CSF) 2.0, NIST CSWP 29 (https://doi.org/10.6028/NIST.CSWP.29), National Institute of ' +
      'Standards and Technology. Functions, categories, subcategories and implementation examples taken from NIST\'s OSCAL ' +
      `catalog (usnistgov/oscal-content, src/nist.gov/CSF/v2.0/xml/NIST_CSF_v2.0_catalog.xml, commit ${(src.commit ?? '').slice(0, 8)}, ` +
      'catalog version 1.0.0, OSCAL 1.1.3); active elements only, withdrawn CSF 1.1 identifiers omitted. Public domain; no ' +
      'endorsement by NIST is implied.',
    requirements: reqs,
  };
  validateFramework(fw);
  expectCounts('nist-csf-2.0', countBy(reqs, (r) => r.kind), { FUNCTION: 6, CATEGORY: 22, SUBCATEGORY: 106 });
  return { fw, exampleCount: reqs.reduce((n, r) => n + (r.examples?.length ?? 0), 0) };
}

// ---------------------------------------------------------------------------------------------
// OWASP Non-Human Identities Top 10 (2025)

function buildNhi() {
  const ref = readJson('owasp-nhi/owasp-nhi-top10-2025.json');
  check(Array.isArray(ref.items), 'owasp-nhi-top10-2025.json: no items');
  const csv = readCsv('owasp-nhi/owasp-nhi-top10-2025.csv');
  check(csv.length === ref.items.length, `owasp-nhi-top10-2025.csv: ${csv.length} rows, JSON has ${ref.items.length}`);
  const items = [...ref.items].sort((a, b) => a.rank - b.rank);
  const reqs = items.map((it, i) => {
    const at = `owasp-nhi-top10-2025.json item ${it.id}`;
    check(it.id === `NHI${i + 1}` && it.rank === i + 1, `${at}: expected NHI${i + 1}`);
    check(it.title && it.description && /^https:\/\/owasp\.org\//.test(it.url), `${at}: missing title, description or url`);
    const row = csv.find((r) => r.id === it.id);
    check(row && row.title === it.title && row.url === it.url, `${at}: CSV row differs from the JSON`);
    return { code: it.id, title: it.title, text: it.description.replace(/\s+/g, ' ').trim(), kind: 'RISK', assessable: true, parent: null, url: it.url };
  });
  const src = ref.source ?? {};
  const fw = {
    key: 'owasp-nhi-top10-2025',
    version: '2025',
    name: 'OWASP Top 10 Non-Human Identities Risks – 2025',
    kind: 'RISK_TAXONOMY',
    publisher: 'OWASP Foundation — OWASP Non-Human Identities Top 10 project',
    licence: 'CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/)',
    sourceUrl: src.website ?? 'https://owasp.org/www-project-non-human-identities-top-10/2025/',
    attribution:
      '"OWASP Top 10 Non-Human Identities Risks – 2025" by the OWASP Non-Human Identities Top 10 project (project leaders ' +
      'Tal Skverer and Roni Lichtman), OWASP Foundation, https://owasp.org/www-project-non-human-identities-top-10/2025/, ' +
      `licensed under CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/). Source: ${src.repo ?? 'OWASP/www-project-non-human-identities-top-10'}, ` +
      `${src.path ?? '2025/docs/top-10-2025.md'}, commit ${(src.commit ?? '').slice(0, 8)}. Changes: each risk's summary ` +
      'paragraph is used as its description with line breaks collapsed to spaces, and the list is restructured into this ' +
      'catalog format. This adapted catalog is likewise licensed under CC BY-SA 4.0. No endorsement by OWASP is implied.',
    requirements: reqs,
  };
  validateFramework(fw);
  expectCounts('owasp-nhi-top10-2025', countBy(reqs, (r) => r.kind), { RISK: 10 });
  return { fw };
}

// ---------------------------------------------------------------------------------------------
// Crosswalks

const RELATIONSHIPS = new Set(['EQUAL', 'SUBSET_OF', 'SUPERSET_OF', 'INTERSECTS_WITH']);
const RATIONALES = new Set(['SYNTACTIC', 'SEMANTIC', 'FUNCTIONAL']);

function validateCrosswalk(cw, frameworks) {
  const src = frameworks.get(cw.sourceFramework);
  const tgt = frameworks.get(cw.targetFramework);
  check(src, `${cw.key}: unknown source framework ${cw.sourceFramework}`);
  check(tgt, `${cw.key}: unknown target framework ${cw.targetFramework}`);
  check(['MANUAL', 'IMPORTED'].includes(cw.method) && cw.status === 'APPROVED', `${cw.key}: bad method or status`);
  check(typeof cw.source === 'string' && cw.source.trim(), `${cw.key}: missing source (provenance)`);
  const pairs = new Set();
  cw.mappings.forEach((m, i) => {
    const at = `${cw.key}: mappings[${i}] ${m.source} -> ${m.target}`;
    check(src.has(m.source), `${at}: source ${m.source} is not a requirement of ${cw.sourceFramework}`);
    check(tgt.has(m.target), `${at}: target ${m.target} is not a requirement of ${cw.targetFramework}`);
    check(RELATIONSHIPS.has(m.relationship), `${at}: bad relationship ${m.relationship}`);
    check(RATIONALES.has(m.rationale), `${at}: bad rationale ${m.rationale}`);
    check(m.strength === null || (Number.isInteger(m.strength) && m.strength >= 0 && m.strength <= 10), `${at}: bad strength`);
    check(m.notes === null || (typeof m.notes === 'string' && m.notes.trim()), `${at}: bad notes`);
    const key = `${m.source}\u0000${m.target}`;
    check(!pairs.has(key), `${at}: duplicate pair`);
    pairs.add(key);
  });
}

function buildIso27002ToIso27001(fw27002) {
  const mappings = fw27002.requirements
    .filter((r) => r.kind === 'CONTROL')
    .map((r) => ({ source: r.code, target: `A.${r.code}`, relationship: 'EQUAL', rationale: 'SEMANTIC', strength: 10, notes: null }));
  return {
    key: 'iso27002-2022-to-iso27001-2022',
    name: 'ISO/IEC 27002:2022 controls → ISO/IEC 27001:2022 Annex A',
    sourceFramework: 'iso27002-2022',
    targetFramework: 'iso27001-2022',
    source:
      'isms-graph project, from ISO/IEC 27001:2022 Annex A (Table A.1), which lists the 93 controls of ISO/IEC 27002:2022 ' +
      'one to one with the same numbering and titles: 27002 control N.M is 27001 Annex A control A.N.M.',
    method: 'MANUAL',
    status: 'APPROVED',
    mappings,
  };
}

const CSF_ISO_FILE = 'crosswalks/mapping-nist-csf-2.0-to-iso27001-2022.csv';

function buildCsfToIso() {
  const rows = readCsv(CSF_ISO_FILE);
  const mappings = [];
  const seen = new Set();
  const duplicates = [];
  for (const row of rows) {
    const at = `${CSF_ISO_FILE}:${row.__line}`;
    const csf = row.csf_subcategory;
    let iso = row.iso27001_2022_id;
    check(csf && iso, `${at}: empty identifier`);
    check(/^intersect(s|s_with|_with)?$/i.test(row.relationship), `${at}: relationship "${row.relationship}" (expected intersect)`);
    if (row.iso_kind === 'annex_a_control') {
      if (!iso.startsWith('A.')) iso = `A.${iso}`; // Annex A ids -> project codes A.x.y
      check(/^A\.[5-8]\.\d+$/.test(iso), `${at}: bad Annex A id ${row.iso27001_2022_id}`);
    } else if (row.iso_kind === 'clause') {
      check(/^(4|5|6|7|8|9|10)(\.\d+)*$/.test(iso), `${at}: bad clause id ${iso}`);
    } else fail(`${at}: unknown iso_kind "${row.iso_kind}"`);
    const key = `${csf}\u0000${iso}`;
    if (seen.has(key)) {
      duplicates.push(`line ${row.__line}: ${csf} -> ${iso}`);
      continue;
    }
    seen.add(key);
    mappings.push({ source: csf, target: iso, relationship: 'INTERSECTS_WITH', rationale: 'SEMANTIC', strength: null, notes: null, __line: row.__line });
  }
  return {
    rows: rows.length,
    duplicates,
    crosswalk: {
      key: 'nist-csf-2.0-to-iso27001-2022',
      name: 'NIST CSF 2.0 → ISO/IEC 27001:2022 (informative references)',
      sourceFramework: 'nist-csf-2.0',
      targetFramework: 'iso27001-2022',
      source:
        'NIST CSF 2.0 Reference Tool (CPRT), informative references between ISO/IEC 27001:2022 and CSF 2.0 subcategories: ' +
        'NIST OLIR catalog entry 154, submitted by a third-party developer (not authored by NIST). The published references ' +
        'carry no relationship type, so every row is recorded as INTERSECTS_WITH. Imported from the project reference file ' +
        `${CSF_ISO_FILE} (${rows.length} rows, ${duplicates.length} duplicate pairs removed).`,
      method: 'IMPORTED',
      status: 'APPROVED',
      mappings,
    },
  };
}

// The project's own reviewed mappings of the OWASP NHI Top 10 risks to the controls and outcomes that
// mitigate them. Read "NHIx <relationship> target": SUBSET_OF is used only where the risk lies wholly
// inside the target's subject; everything else INTERSECTS_WITH. Strength: how much implementing the
// target reduces the risk (10 = directly and substantially, 1 = marginally).
//            [source, target, relationship, strength, notes]
const I = 'INTERSECTS_WITH';
const S = 'SUBSET_OF';
const NHI_TO_ISO = [
  ['NHI1', 'A.5.18', I, 9, 'Access rights must be removed when no longer needed; offboarding an NHI is exactly that removal when its service, owner or purpose goes away.'],
  ['NHI1', 'A.5.16', I, 9, 'Identity life-cycle management covers disabling and deleting identities, including non-human ones, at the end of their life.'],
  ['NHI1', 'A.8.2', I, 6, 'Privileged NHIs left active after decommissioning are the most damaging case; privileged rights need regular review and prompt removal.'],
  ['NHI1', 'A.5.15', I, 5, 'Access control rules that require every NHI to have an owner and a business need make orphaned identities a violation to be found and removed.'],
  ['NHI1', 'A.5.9', I, 6, 'An inventory of NHIs with owners and the systems they serve is what lets stale identities be found and offboarded.'],
  ['NHI1', 'A.8.16', I, 4, 'Monitoring for activity of dormant or deprecated identities detects exploitation of NHIs that should have been offboarded.'],

  ['NHI2', 'A.5.17', I, 9, 'Secrets are authentication information; this control governs how they are allocated, stored and handled (a secrets manager, not code, config files or chat).'],
  ['NHI2', 'A.8.24', I, 7, 'Key management covers protecting cryptographic keys and certificates in storage and use, and replacing them when they are exposed.'],
  ['NHI2', 'A.8.4', I, 6, 'Restricting and logging access to source code repositories limits who can read hard-coded secrets that slipped into them.'],
  ['NHI2', 'A.8.12', I, 7, 'Data leakage prevention, such as secret scanning of repositories, chat and logs, detects and blocks secrets leaving sanctioned stores.'],
  ['NHI2', 'A.8.28', I, 7, 'Secure coding rules forbid hard-coding credentials in source code and require them to be read from a secret store at run time.'],
  ['NHI2', 'A.8.9', I, 5, 'Configuration management keeps secrets out of plain-text configuration files by referencing a secret store from the configuration.'],
  ['NHI2', 'A.5.14', I, 3, 'Information transfer rules cover sharing secrets over e-mail or public chat, one of the leak paths OWASP names.'],

  ['NHI3', 'A.5.19', I, 7, 'Third-party IDE extensions and SaaS integrations that hold the organisation\'s NHIs are supplier relationships whose risk must be assessed and managed.'],
  ['NHI3', 'A.5.20', I, 5, 'Supplier agreements can require third parties to protect the credentials and permissions granted to them and to report compromises promptly.'],
  ['NHI3', 'A.5.21', I, 7, 'A compromised extension or malicious update is an ICT supply-chain attack on the credentials it can reach.'],
  ['NHI3', 'A.5.22', I, 6, 'Reviewing third-party services and their changes finds integrations whose security has degraded or whose granted access is no longer needed.'],
  ['NHI3', 'A.5.23', I, 6, 'SaaS integrations are cloud services: their use, including the tokens and scopes granted to them, is governed by this control.'],
  ['NHI3', 'A.5.18', I, 6, 'Granting third-party NHIs only the access they need and reviewing it bounds what a compromised vendor or extension can misuse.'],
  ['NHI3', 'A.8.1', I, 4, 'Restricting which IDE extensions may be installed on developer endpoints reduces exposure to malicious or vulnerable extensions.'],

  ['NHI4', 'A.8.5', I, 9, 'Secure authentication requires mechanisms suited to the access, replacing deprecated or weak methods used between services.'],
  ['NHI4', 'A.5.17', I, 6, 'Strong, unique and properly managed authentication information for each service avoids weak shared static credentials.'],
  ['NHI4', 'A.8.24', I, 6, 'Modern service authentication relies on cryptography (mTLS, signed tokens) with current, approved algorithms and protocols.'],
  ['NHI4', 'A.8.26', I, 6, 'Authentication requirements for integrations are set when applications are specified or acquired, before weak methods are built in.'],
  ['NHI4', 'A.8.27', I, 5, 'Secure engineering principles (zero trust, standard protocols) steer service-to-service authentication away from obsolete mechanisms.'],
  ['NHI4', 'A.8.8', I, 4, 'Authentication methods vulnerable to known attacks are technical vulnerabilities to be identified and remediated.'],

  ['NHI5', 'A.8.2', I, 8, 'Privileged access rights must be restricted and managed; over-privileged NHIs are a direct failure of this for non-human identities.'],
  ['NHI5', 'A.5.15', I, 8, 'Access control rules based on least privilege and need-to-know determine what each NHI is allowed to do.'],
  ['NHI5', 'A.5.18', I, 8, 'Provisioning and periodic review of access rights right-size NHI permissions and remove grants that are not used.'],
  ['NHI5', 'A.8.3', I, 6, 'Restricting access to information per the access policy limits what a compromised NHI can read or change.'],
  ['NHI5', 'A.5.3', I, 4, 'Splitting conflicting duties across separate NHIs limits what any single compromised identity can do.'],

  ['NHI6', 'A.8.9', I, 8, 'Secure, reviewed configuration of CI/CD-to-cloud trust (OIDC trust policies and claim conditions) is configuration management.'],
  ['NHI6', 'A.5.23', I, 7, 'Secure use of cloud services includes how deployment pipelines authenticate to the cloud provider and what they may do there.'],
  ['NHI6', 'A.8.5', I, 7, 'Federated, short-lived OIDC authentication with validated tokens and strict claims replaces static deployment credentials.'],
  ['NHI6', 'A.5.17', I, 6, 'Static pipeline credentials are authentication information to be kept in a secret store and out of repositories and logs.'],
  ['NHI6', 'A.8.25', I, 5, 'The build and deployment pipeline is part of the secure development life cycle and needs the same protection as the code.'],
  ['NHI6', 'A.8.2', I, 5, 'Pipeline identities often hold privileged access to production; those rights must be restricted and bound to specific pipelines.'],

  ['NHI7', 'A.5.17', I, 9, 'Management of authentication information includes expiring and changing secrets; long-lived API keys and tokens need expiry and rotation.'],
  ['NHI7', 'A.8.24', I, 8, 'Key management sets cryptoperiods, activation and expiry for keys and certificates, bounding how long a stolen key is usable.'],
  ['NHI7', 'A.8.5', I, 7, 'Short-lived tokens from federated authentication replace static secrets that never expire.'],
  ['NHI7', 'A.5.18', I, 4, 'Time-limited access rights expire on their own instead of remaining valid indefinitely.'],

  ['NHI8', 'A.8.31', S, 9, 'Isolating NHIs per environment is a specific case of separating development, test and production: an NHI shared across them bridges the separation.'],
  ['NHI8', 'A.8.22', I, 5, 'Segregating environment networks keeps a credential taken from a test workload from being usable against production systems.'],
  ['NHI8', 'A.5.15', I, 5, 'Access rules should scope each NHI to a single environment, so test identities have no rights in production.'],
  ['NHI8', 'A.5.17', I, 5, 'Distinct authentication information per environment means a secret exposed in test or development does not unlock production.'],
  ['NHI8', 'A.8.33', I, 4, 'Production secrets must not be copied into test environments along with test data.'],

  ['NHI9', 'A.5.16', I, 8, 'Unique identities per application or service make activity attributable and contain a compromise; a shared NHI defeats both.'],
  ['NHI9', 'A.8.2', I, 5, 'A reused NHI accumulates the union of the privileges its consumers need, so its compromise exposes all of them.'],
  ['NHI9', 'A.5.15', I, 6, 'Least privilege can only be applied per consumer when each application or service has its own identity.'],
  ['NHI9', 'A.5.17', I, 5, 'Separate credentials per workload allow one to be rotated or revoked after a compromise without breaking or exposing the others.'],

  ['NHI10', 'A.5.16', I, 8, 'Identities used by people should be personal; people working under service identities breaks individual accountability.'],
  ['NHI10', 'A.5.17', I, 6, 'NHI secrets belong to the workload or secret store and should not be handed to people for manual use.'],
  ['NHI10', 'A.8.5', I, 6, 'People should authenticate with their own credentials and MFA, which using an NHI secret bypasses.'],
  ['NHI10', 'A.8.2', I, 6, 'Privileged manual tasks should be done under personal privileged accounts with approval, not through powerful NHIs.'],
  ['NHI10', 'A.8.15', I, 6, 'Logs must attribute actions to individuals; human activity under an NHI is indistinguishable from automation.'],
  ['NHI10', 'A.8.16', I, 5, 'Monitoring NHIs for interactive or unusual use (new source addresses, consoles, working hours) detects people using them.'],
];

const NHI_TO_CSF = [
  ['NHI1', 'PR.AA-01', I, 9, 'Managing credentials for services includes revoking identities, tokens, keys and certificates when they are no longer needed.'],
  ['NHI1', 'PR.AA-05', I, 7, 'Periodic access reviews and prompt rescinding of privileges that are no longer needed find and remove stale NHIs.'],
  ['NHI1', 'ID.AM-08', I, 7, 'Managing services through their life cycle, including finding redundant ones, means retiring their NHIs when they are decommissioned.'],
  ['NHI1', 'ID.AM-02', I, 5, 'An inventory of software, services and systems is the basis for tracing which NHIs belong to retired services.'],
  ['NHI1', 'GV.SC-10', I, 5, 'When a supplier relationship ends, supplier access and the NHIs issued to or by the supplier must be deactivated promptly.'],
  ['NHI1', 'DE.CM-03', I, 4, 'Monitoring access logs for unusual patterns detects use of identities that should have been retired.'],

  ['NHI2', 'PR.PS-06', I, 8, 'Secure development practices (no hard-coded secrets, secret scanning in the pipeline) keep secrets out of source code and build artifacts.'],
  ['NHI2', 'PR.AA-01', I, 7, 'Credential management covers issuing secrets through a controlled store and revoking them when they are exposed.'],
  ['NHI2', 'PR.DS-01', I, 7, 'Secrets stored in files, configuration or container images are data at rest that must be protected or kept in a secret store.'],
  ['NHI2', 'PR.DS-02', I, 5, 'Secrets sent over chat or e-mail are data in transit; blocking or protecting such transfers closes one leak path.'],
  ['NHI2', 'PR.PS-01', I, 5, 'Configuration baselines should reference secrets from a secret store instead of embedding them in plain-text configuration.'],
  ['NHI2', 'DE.CM-09', I, 6, 'Monitoring repositories, collaboration services and runtime environments for data leaks detects exposed secrets.'],

  ['NHI3', 'GV.SC-07', I, 8, 'The risk of third-party integrations and extensions that hold organisational credentials must be assessed and monitored over the relationship.'],
  ['NHI3', 'GV.SC-06', I, 6, 'Due diligence before adopting an extension or SaaS integration decides whether it should receive credentials and which permissions.'],
  ['NHI3', 'GV.SC-05', I, 5, 'Contracts with SaaS and integration vendors can require protection of granted credentials and prompt notice of compromise.'],
  ['NHI3', 'ID.RA-09', I, 6, 'Verifying the authenticity and integrity of extensions and updates before use reduces the risk of a malicious update stealing credentials.'],
  ['NHI3', 'DE.CM-06', I, 7, 'Monitoring what third-party services do with the NHIs granted to them detects misuse after a vendor compromise.'],
  ['NHI3', 'PR.AA-05', I, 6, 'Granting third-party integrations only the minimum scopes, and reviewing them, bounds the damage of a compromised third party.'],
  ['NHI3', 'ID.AM-04', I, 5, 'An inventory of supplier services shows which third parties hold organisational NHIs, so they can be revoked after a vendor breach.'],

  ['NHI4', 'PR.AA-03', I, 9, 'Services must be authenticated with strong, current mechanisms and re-authenticated according to risk, not with deprecated methods.'],
  ['NHI4', 'PR.AA-04', I, 6, 'Tokens and assertions exchanged between services must follow standards and be signed and verified.'],
  ['NHI4', 'PR.DS-02', I, 5, 'Credentials sent by weak authentication methods over unprotected channels are exposed in transit.'],
  ['NHI4', 'ID.RA-01', I, 5, 'Deprecated or weak authentication methods in integrations are vulnerabilities to be identified and recorded.'],
  ['NHI4', 'PR.PS-06', I, 5, 'Secure development standards specify approved authentication methods for the integrations developers build.'],
  ['NHI4', 'PR.PS-02', I, 4, 'Software that only supports obsolete authentication should be upgraded or replaced according to risk.'],

  ['NHI5', 'PR.AA-05', S, 9, 'Over-privileged NHIs are a failure of least privilege, which this outcome requires for all access permissions, including those of services.'],
  ['NHI5', 'PR.PS-01', I, 5, 'NHI roles and policies are configuration; hardened baselines with least functionality prevent overly broad grants.'],
  ['NHI5', 'DE.CM-03', I, 4, 'Monitoring access logs reveals NHIs using permissions outside their normal pattern and grants that are never used.'],

  ['NHI6', 'PR.PS-01', I, 8, 'Secure configuration baselines for CI/CD and cloud trust relationships (OIDC trust policies, claim conditions) prevent insecure deployment setups.'],
  ['NHI6', 'PR.AA-04', I, 8, 'OIDC identity tokens from pipelines must be verified with strict audience and subject conditions, the weakness OWASP describes.'],
  ['NHI6', 'PR.AA-03', I, 6, 'CI/CD identities should authenticate to the cloud with federated short-lived tokens rather than static keys.'],
  ['NHI6', 'PR.PS-06', I, 6, 'Pipeline definitions and their credentials are part of the software development life cycle and need protection from tampering and exposure.'],
  ['NHI6', 'PR.AA-05', I, 5, 'Cloud roles trusted by pipelines should grant only what each deployment needs.'],

  ['NHI7', 'PR.AA-01', I, 9, 'Credential and key management includes issuing secrets with expiry, rotating them and revoking them.'],
  ['NHI7', 'PR.AA-03', I, 5, 'Authenticating services with short-lived tokens and periodic re-authentication limits how long a stolen secret works.'],
  ['NHI7', 'PR.PS-01', I, 4, 'Configuration baselines in identity and cloud platforms can enforce maximum lifetimes for keys, tokens and certificates.'],
  ['NHI7', 'GV.PO-01', I, 4, 'Policy should set maximum lifetimes and rotation intervals for NHI secrets so that expiry is enforced, not optional.'],

  ['NHI8', 'PR.IR-01', I, 8, 'Segmenting cloud platforms and environments along trust boundaries keeps credentials of one environment from reaching another.'],
  ['NHI8', 'PR.AA-05', I, 6, 'Scoping each NHI\'s permissions to a single environment keeps a test identity from having rights in production.'],
  ['NHI8', 'PR.AA-01', I, 5, 'Issuing separate identities and credentials per environment avoids one NHI spanning test and production.'],
  ['NHI8', 'PR.DS-02', I, 4, 'Keeping production data, including production secrets, out of development and test environments avoids cross-environment exposure.'],

  ['NHI9', 'PR.AA-01', I, 7, 'Each application or service should be issued its own identity and credentials rather than sharing one.'],
  ['NHI9', 'PR.AA-05', I, 7, 'Per-consumer identities allow least privilege per application; a shared NHI carries the union of all consumers\' permissions.'],
  ['NHI9', 'DE.CM-09', I, 5, 'Monitoring authentication detects a credential used from unexpected workloads, a sign of reuse or theft.'],
  ['NHI9', 'RS.MI-01', I, 5, 'An incident can be contained by revoking one NHI only if that NHI is not shared by other services.'],

  ['NHI10', 'PR.AA-02', I, 6, 'Credentials should be bound to a proofed individual and not shared; people using an NHI\'s credential break that binding.'],
  ['NHI10', 'PR.AA-01', I, 6, 'Identities and credentials are issued per authorised user or service; NHI credentials should not be given to people.'],
  ['NHI10', 'PR.AA-03', I, 6, 'People should authenticate as themselves with multi-factor authentication rather than with a service credential.'],
  ['NHI10', 'PR.AA-05', I, 5, 'Manual tasks should run under personal, least-privilege entitlements with separation of duties, not under an NHI\'s broader rights.'],
  ['NHI10', 'PR.PS-04', I, 6, 'Log records must distinguish human activity from automation to keep accountability.'],
  ['NHI10', 'DE.CM-03', I, 7, 'Monitoring NHI usage for interactive or unusual access patterns detects people using service identities.'],
];

function buildNhiCrosswalk(key, name, targetFramework, rows) {
  return {
    key,
    name,
    sourceFramework: 'owasp-nhi-top10-2025',
    targetFramework,
    source: 'isms-graph project, reviewed mapping',
    method: 'MANUAL',
    status: 'APPROVED',
    mappings: rows.map(([source, target, relationship, strength, notes]) => ({ source, target, relationship, rationale: 'FUNCTIONAL', strength, notes })),
  };
}

// ---------------------------------------------------------------------------------------------
// Main

function stable(obj) {
  return `${JSON.stringify(obj, (k, v) => (k === '__line' ? undefined : v), 2)}\n`;
}

function main() {
  const { fw27001, fw27002 } = buildIso();
  const { fw: csf, exampleCount } = buildCsf();
  const { fw: nhi } = buildNhi();
  const frameworks = [fw27001, fw27002, csf, nhi];
  const index = new Map(frameworks.map((f) => [f.key, new Map(f.requirements.map((r) => [r.code, r]))]));

  const iso = buildIso27002ToIso27001(fw27002);
  const csfIso = buildCsfToIso();
  // Name the CSV line of any reference that does not resolve before the generic checks.
  for (const m of csfIso.crosswalk.mappings) {
    check(index.get('nist-csf-2.0').has(m.source), `${CSF_ISO_FILE}:${m.__line}: CSF subcategory ${m.source} is not in nist-csf-2.0`);
    check(index.get('iso27001-2022').has(m.target), `${CSF_ISO_FILE}:${m.__line}: ISO id ${m.target} is not in iso27001-2022`);
  }
  const nhiIso = buildNhiCrosswalk('owasp-nhi-top10-2025-to-iso27001-2022', 'OWASP NHI Top 10 (2025) → ISO/IEC 27001:2022 Annex A', 'iso27001-2022', NHI_TO_ISO);
  const nhiCsf = buildNhiCrosswalk('owasp-nhi-top10-2025-to-nist-csf-2.0', 'OWASP NHI Top 10 (2025) → NIST CSF 2.0', 'nist-csf-2.0', NHI_TO_CSF);
  const crosswalks = [iso, csfIso.crosswalk, nhiIso, nhiCsf];
  for (const cw of crosswalks) validateCrosswalk(cw, index);
  for (const cw of crosswalks) {
    for (const m of cw.mappings) {
      for (const [fw, code] of [[cw.sourceFramework, m.source], [cw.targetFramework, m.target]]) {
        if (!index.get(fw).get(code).assessable) notice(`${cw.key}: ${m.source} -> ${m.target} touches ${code}, which is not assessable in ${fw}`);
      }
    }
  }

  // Extra checks of the counts the product promises.
  check(iso.mappings.length === 93, `iso27002->iso27001: ${iso.mappings.length} rows, expected 93`);
  check(csfIso.crosswalk.mappings.length === 341, `csf->iso27001: ${csfIso.crosswalk.mappings.length} unique rows, expected 341`);
  for (const m of nhiIso.mappings) {
    const t = index.get('iso27001-2022').get(m.target);
    check(t.kind === 'CONTROL', `${nhiIso.key}: ${m.source} -> ${m.target} is not an Annex A control`);
  }
  for (const m of nhiCsf.mappings) {
    check(index.get('nist-csf-2.0').get(m.target).kind === 'SUBCATEGORY', `${nhiCsf.key}: ${m.source} -> ${m.target} is not a subcategory`);
  }
  for (const cw of [nhiIso, nhiCsf]) {
    const per = countBy(cw.mappings, (m) => m.source);
    for (const r of nhi.requirements) {
      const n = per[r.code] ?? 0;
      check(n >= 3 && n <= 8, `${cw.key}: ${r.code} has ${n} mappings, expected 3-8`);
    }
  }

  // All checks passed: write.
  const fwDir = join(OUT, 'frameworks');
  const cwDir = join(OUT, 'crosswalks');
  mkdirSync(fwDir, { recursive: true });
  mkdirSync(cwDir, { recursive: true });
  const written = [];
  const expected = { [fwDir]: new Set(), [cwDir]: new Set() };
  for (const f of frameworks) {
    const file = join(fwDir, `${f.key}.json`);
    writeFileSync(file, stable(f));
    expected[fwDir].add(`${f.key}.json`);
    written.push(file);
  }
  for (const c of crosswalks) {
    const file = join(cwDir, `${c.key}.json`);
    writeFileSync(file, stable(c));
    expected[cwDir].add(`${c.key}.json`);
    written.push(file);
  }
  // Remove generated files that this run no longer produces (only *.json in these two folders).
  for (const [dir, keep] of Object.entries(expected)) {
    for (const name of readdirSync(dir)) if (name.endsWith('.json') && !keep.has(name)) unlinkSync(join(dir, name));
  }

  const kinds = (f) => Object.entries(countBy(f.requirements, (r) => r.kind)).map(([k, n]) => `${k} ${n}`).join(', ');
  const themes = Object.keys(THEME_SIZES).map((t) => fw27001.requirements.filter((r) => r.parent === `A.${t}`).length).join('/');
  const subs = fw27001.requirements.filter((r) => r.kind === 'CLAUSE' && r.parent !== null);
  console.log(`reference: ${REF}`);
  console.log(`output:    ${OUT}`);
  console.log(`iso27001-2022: ${kinds(fw27001)} (7 clauses, ${subs.length} sub-clauses of which ${subs.filter((r) => r.assessable).length} assessable; Annex A themes ${themes})`);
  console.log(`iso27002-2022: ${kinds(fw27002)}`);
  console.log(`nist-csf-2.0: ${kinds(csf)}, ${exampleCount} implementation examples`);
  console.log(`owasp-nhi-top10-2025: ${kinds(nhi)}`);
  for (const c of crosswalks) {
    const rel = Object.entries(countBy(c.mappings, (m) => m.relationship)).map(([k, n]) => `${k} ${n}`).join(', ');
    console.log(`${c.key}: ${c.mappings.length} mappings (${rel})`);
  }
  console.log(`csf->iso27001 reference: ${csfIso.rows} rows, duplicates removed: ${csfIso.duplicates.join('; ') || 'none'}`);
  for (const n of notices) console.log(`note: ${n}`);
  console.log(`wrote ${written.length} files`);
}

try {
  main();
} catch (e) {
  if (e instanceof DataError) {
    console.error(`build-catalogs: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
