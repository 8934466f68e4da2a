import type { GraphQLField } from 'graphql';
import { startTestApp, ok, type TestApp, type GqlResponse } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { createControl, createRisk, createTask, requestControlException, requestRiskAcceptance, inDays } from './helpers/core-factories';
import { ENTITY_KINDS, MutationFuzzer, Rng, mutationDocument, versionTable, type EntityKind, type FuzzCase, type FuzzContext, type Pool } from './helpers/fuzz-inputs';
import { buildIsmsSchema } from '../src/schema';
import { ErrorCode } from '../src/common/errors';
import { Permission } from '../src/auth/permissions';

/**
 * Fuzzes every mutation of the schema over real HTTP against a seeded database: generated inputs
 * that GraphQL accepts but the service must judge (empty, huge, control-character and NUL strings,
 * wrong-entity and malformed ids, extreme numbers and dates, empty, duplicated and 10,000-element
 * lists, nulls), and inputs GraphQL itself must refuse. For every request:
 * - the answer is a JSON GraphQL response, every error code is in the registry and none is INTERNAL,
 *   and no message carries SQL or a stack trace;
 * - an answer with an error left the database exactly as it was (fingerprint of every row of every
 *   table), so no partial write, audit row or outbox event; a success moves the fingerprint on.
 *
 * Replay: FUZZ_SEED=<seed> (printed with every failure) and FUZZ_ROUNDS=<cases per mutation>.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20_250_611);
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 14);
/** Cases per mutation for the scope-restricted admin and for the read-only key. */
const RESTRICTED_ROUNDS = Math.max(1, Math.round(ROUNDS / 5));
const READ_ONLY_ROUNDS = 1;
/** FUZZ_VERBOSE=1 prints one line per request (mutation, key, change, outcome). */
const VERBOSE = Boolean(process.env.FUZZ_VERBOSE);

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));
/** Text that belongs in logs, never in a client's error message. */
const LEAK = /\b(SELECT|INSERT|UPDATE|DELETE)\b[^.]{0,200}\b(FROM|INTO|SET|WHERE)\b|violates .{0,80}constraint|duplicate key|relation "|column "|syntax error at|invalid input syntax|out of range for type|QueryFailedError|TypeORM|\bat \S+ \(\S+:\d+:\d+\)|node_modules|\.ts:\d+|TypeError|ReferenceError|Cannot read propert|is not a function|undefined is not/;

/** Mutations that end an entity run after the others, so the others still find live fixtures. */
const DESTRUCTIVE = /^(archive|delete|revoke|drop|disable)/;

let app: TestApp;
let mutations: Array<GraphQLField<unknown, unknown>>;
let senders: { admin: string; restricted: string; readOnly: string };
/** Assets of the sending keys: every request may stamp their last_used_at (see fingerprint). */
let senderKeyIds: string[] = [];
let scopeA = '';
let scopeB = '';
const pool = Object.fromEntries(ENTITY_KINDS.map((k) => [k, []])) as unknown as Pool;
const frameworks = [{ key: 'iso27001-2022', version: '2022' }, { key: 'owasp-nhi-top10-2025', version: '2025' }, { key: 'nist-csf-2.0', version: '2.0' }];
const stats = { requests: 0, perMutation: new Map<string, number>(), succeeded: new Set<string>(), outcomes: new Map<string, number>() };
const tally = (key: string) => stats.outcomes.set(key, (stats.outcomes.get(key) ?? 0) + 1);

const ctx: FuzzContext = {
  pool,
  frameworks,
  async version(kind, id) {
    const table = versionTable(kind);
    if (!table || !/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const column = kind === 'framework' ? 'revision' : 'version';
    const [row] = await app.sql(`SELECT ${column} AS v FROM ${table} WHERE id = $1`, [id]);
    return row?.v;
  },
};

// ---------------------------------------------------------------------------------------------
// Fingerprint: per table, row count and a sum of row hashes (order-free, so no sort per call).

let fingerprintSql = '';

async function prepareFingerprint(): Promise<void> {
  const tables: Array<{ name: string }> = await app.sql(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`,
  );
  const keys = `ARRAY[${senderKeyIds.map((id) => `'${id}'::uuid`).join(',')}]`;
  const row = (table: string): string => {
    // Authentication stamps last_used_at on the sending key and its asset record at most once a
    // minute on any request (src/auth/api-key.service.ts): bookkeeping of the request itself, not a
    // write of the mutation. Only the sending keys' rows are exempt; fuzzed writes of other keys'
    // and assets' last_used_at still count.
    if (table === 'api_key') return `CASE WHEN x.id = ANY(${keys}) THEN (to_jsonb(x) - 'last_used_at')::text ELSE x::text END`;
    if (table === 'asset') return `CASE WHEN x.id IN (SELECT asset_id FROM api_key WHERE id = ANY(${keys})) THEN (to_jsonb(x) - 'last_used_at')::text ELSE x::text END`;
    return 'x::text';
  };
  // api_key_rate_window counts requests per key (RATE_LIMIT_PER_MINUTE is 0 here, so nothing is
  // counted, but a count would be the request's bookkeeping, not a write of the mutation).
  // migrations is written only by the migration runner; it is kept since it must not change either.
  fingerprintSql = tables.filter((t) => t.name !== 'api_key_rate_window')
    .map((t) => `SELECT '${t.name}' AS t, count(*)::int AS n, coalesce(sum(hashtextextended(${row(t.name)}, 0)), 0)::text AS h FROM "${t.name}" x`)
    .join(' UNION ALL ');
}

async function fingerprint(): Promise<Map<string, string>> {
  const rows: Array<{ t: string; n: number; h: string }> = await app.sql(fingerprintSql);
  return new Map(rows.map((r) => [r.t, `${r.n}:${r.h}`]));
}

function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after.keys()].filter((t) => before.get(t) !== after.get(t)).map((t) => {
    const delta = Number(after.get(t)!.split(':')[0]) - Number(before.get(t)!.split(':')[0]);
    return delta ? `${t} (${delta > 0 ? '+' : ''}${delta} rows)` : `${t} (rows changed)`;
  });
}

// ---------------------------------------------------------------------------------------------
// Seed: a small realistic dataset, so ids point at real entities of the right and wrong type.

async function seed(): Promise<void> {
  const owners = [(await createOwner(app)).id, (await createOwner(app, { kind: 'TEAM' })).id, (await createOwner(app, { email: 'fuzz@example.com' })).id];
  scopeA = (await createScope(app, { ownerId: owners[0] })).id;
  scopeB = (await createScope(app, { ownerId: owners[1] })).id;
  await createScope(app, { ownerId: owners[0], parentId: scopeA });
  for (const [scope, framework] of [[scopeA, 'iso27001-2022'], [scopeB, 'nist-csf-2.0'], [scopeA, 'owasp-nhi-top10-2025']]) {
    ok(await app.gql('mutation($s: ID!, $f: String!) { adoptFramework(scopeId: $s, frameworkKey: $f) { id } }', { s: scope, f: framework }));
  }
  const controlA = (await createControl(app, { scopeIds: [scopeA], ownerId: owners[0], status: 'IMPLEMENTED' })).id;
  await createControl(app, { scopeIds: [scopeA, scopeB], ownerId: owners[1], status: 'PLANNED' });
  await createControl(app, { scopeIds: [scopeB], ownerId: owners[2] });
  const riskA = (await createRisk(app, { scopeId: scopeA, ownerId: owners[0], controlIds: [controlA] })).id;
  const riskB = (await createRisk(app, { scopeId: scopeB, ownerId: owners[1], likelihood: 5, impact: 4 })).id;
  await createTask(app, { riskId: riskA, assigneeId: owners[1], controlId: controlA });
  await createTask(app, { riskId: riskB, assigneeId: owners[2], externalRef: { system: 'jira', key: 'SEC-1', url: 'https://jira.example.com/SEC-1' } });
  await requestControlException(app, { scopeId: scopeA, controlId: controlA, requestedById: owners[0] });
  const approved = await requestControlException(app, { scopeId: scopeA, controlId: controlA, requestedById: owners[1] });
  ok(await app.gql('mutation($id: ID!, $a: ID!, $e: DateTime!, $v: Int!) { approveException(id: $id, approverId: $a, expiresAt: $e, expectedVersion: $v) { id } }',
    { id: approved.id, a: owners[2], e: inDays(60), v: approved.version }));
  await requestRiskAcceptance(app, { requestedById: owners[2] });
  for (const validUntil of [inDays(90), inDays(-1)]) {
    ok(await app.gql('mutation($input: CreateEvidenceInput!) { createEvidence(input: $input) { id } }', {
      input: { controlId: controlA, ownerId: owners[0], kind: 'DOCUMENT', title: 'Policy', reference: 'doc://policy', collectedAt: inDays(-30), validUntil },
    }));
  }
  const createAsset = async (input: Record<string, unknown>) => ok(await app.gql('mutation($input: CreateAssetInput!) { createAsset(input: $input) { id } }', { input })).createAsset.id as string;
  const appAsset = await createAsset({ name: 'Billing app', kind: 'APPLICATION', scopeIds: [scopeA], ownerId: owners[0] });
  await createAsset({ name: 'Deployer', kind: 'NON_HUMAN_IDENTITY', nhiKind: 'SERVICE_ACCOUNT', scopeIds: [scopeA], ownerId: owners[1], privileged: true, environments: ['PRODUCTION'], consumerIds: [appAsset], lastRotatedAt: inDays(-400), rotationIntervalDays: 90 });
  await createAsset({ name: 'Stripe key', kind: 'NON_HUMAN_IDENTITY', nhiKind: 'API_KEY', scopeIds: [scopeB], humanUse: true });
  const custom = ok(await app.gql('mutation { createFramework(input: { key: "fuzz-catalog", version: "1", name: "Fuzz catalog", kind: CONTROL_CATALOG }) { id } }')).createFramework.id;
  frameworks.push({ key: 'fuzz-catalog', version: '1' });
  const parent = ok(await app.gql('mutation($f: ID!) { createRequirement(input: { frameworkId: $f, code: "FZ", title: "Group", kind: GROUP, assessable: false }) { id } }', { f: custom })).createRequirement.id;
  const child = ok(await app.gql('mutation($f: ID!, $p: ID!) { createRequirement(input: { frameworkId: $f, code: "FZ-1", title: "Child", kind: CONTROL, assessable: true, parentId: $p }) { id } }', { f: custom, p: parent })).createRequirement.id;
  const [iso] = await app.sql(`SELECT id FROM framework WHERE key = 'iso27001-2022'`);
  const crosswalk = ok(await app.gql('mutation($s: ID!, $t: ID!) { createCrosswalk(input: { key: "fuzz-to-iso", name: "Fuzz", sourceFrameworkId: $s, targetFrameworkId: $t, source: "fuzz" }) { id } }', { s: custom, t: iso.id })).createCrosswalk.id;
  const [a51] = await app.sql(`SELECT r.id FROM requirement r JOIN framework f ON f.id = r.framework_id WHERE f.key = 'iso27001-2022' AND r.code = 'A.5.1'`);
  ok(await app.gql('mutation($c: ID!, $s: ID!, $t: ID!) { createMapping(input: { crosswalkId: $c, sourceRequirementId: $s, targetRequirementId: $t, relationship: EQUAL }) { id } }', { c: crosswalk, s: child, t: a51.id }));
  ok(await app.gql('mutation { registerAllowedOperation(input: { name: "owners", document: "query { owners { totalCount } }" }) { id } }'));
  await app.createKey([Permission.ISMS_READ], { scopeIds: [scopeB] });
  await app.createKey([Permission.TREATMENT_WRITE]);
  ok(await app.gql('mutation($o: ID!) { issueCalendarToken(ownerId: $o) { id } }', { o: owners[0] }));
  const endpoint = ok(await app.gql('mutation { createWebhookEndpoint(input: { url: "http://127.0.0.1:9/hook" }) { endpoint { id } } }')).createWebhookEndpoint.endpoint.id;
  // a delivery to redeliver (no scheduler runs in this test, so none is made by the outbox job)
  await app.sql(`INSERT INTO webhook_delivery (id, event_id, endpoint_id, status, attempts, next_attempt_at)
    SELECT gen_random_uuid(), id, $1, 'FAILED', 3, now() FROM outbox_event ORDER BY created_at LIMIT 2`, [endpoint]);
  await app.sql(`INSERT INTO reminder (id, kind, subject_type, subject_id, scope_ids, owner_id, due_at, lead_days)
    VALUES (gen_random_uuid(), 'REVIEW_DUE', 'RISK', $1, ARRAY[$2]::uuid[], $3, now() + interval '7 days', 7)`, [riskA, scopeA, owners[0]]);
}

/** The ids the generator may use: the oldest and newest few of each kind, in a stable order. */
async function refreshPool(): Promise<void> {
  const tables: Partial<Record<EntityKind, string>> = {
    owner: `owner WHERE id <> '${app.ownerId}'`, scope: 'scope', control: 'control', risk: 'risk', task: 'treatment_task',
    exception: 'exception', evidence: 'evidence', asset: `asset WHERE id NOT IN (SELECT asset_id FROM api_key WHERE id = ANY('{${senderKeyIds.join(',')}}'))`,
    framework: 'framework', crosswalk: 'crosswalk', mapping: 'mapping', apiKey: `api_key WHERE id <> ALL('{${senderKeyIds.join(',')}}')`,
    allowedOperation: 'allowed_operation', endpoint: 'webhook_endpoint', delivery: 'webhook_delivery', reminder: 'reminder', calendarToken: 'calendar_token',
  };
  for (const [kind, from] of Object.entries(tables) as Array<[EntityKind, string]>) {
    const rows: Array<{ id: string }> = await app.sql(`SELECT id FROM ${from} ORDER BY created_at, id`);
    const ids = rows.map((r) => r.id);
    pool[kind] = ids.length > 8 ? [...ids.slice(0, 4), ...ids.slice(-4)] : ids;
  }
  // requirements: controls of ISO, threats of the NHI taxonomy, and the custom catalog's
  const requirements: Array<{ id: string }> = await app.sql(
    `(SELECT r.id FROM requirement r JOIN framework f ON f.id = r.framework_id WHERE f.key = 'iso27001-2022' AND r.code IN ('A.5.1', 'A.8.5', '4.1') ORDER BY r.code)
     UNION ALL (SELECT r.id FROM requirement r JOIN framework f ON f.id = r.framework_id WHERE f.key = 'owasp-nhi-top10-2025' AND r.code IN ('NHI1', 'NHI7') ORDER BY r.code)
     UNION ALL (SELECT r.id FROM requirement r JOIN framework f ON f.id = r.framework_id WHERE f.key NOT IN ('iso27001-2022', 'iso27002-2022', 'nist-csf-2.0', 'owasp-nhi-top10-2025') ORDER BY r.created_at DESC, r.id LIMIT 4)`,
  );
  pool.requirement = requirements.map((r) => r.id);
  const findings: string[] = [];
  for (const scope of [scopeA, scopeB]) {
    const res = await app.gql('query($s: ID!) { nhiFindings(scopeId: $s) { edges { node { id } } } }', { s: scope });
    for (const edge of res.data?.nhiFindings?.edges ?? []) findings.push(edge.node.id);
  }
  pool.finding = findings.slice(0, 6);
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  // loopback webhook URLs are allowed so an endpoint fixture can exist (nothing is delivered)
  app = await startTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  const schema = await buildIsmsSchema();
  const fields = Object.values(schema.getMutationType()!.getFields());
  mutations = [...fields.filter((f) => !DESTRUCTIVE.test(f.name)), ...fields.filter((f) => DESTRUCTIVE.test(f.name))];
  await seed();
  // the restricted key is made after the seed, for scope A (and its child)
  const scoped = await app.createKey([Permission.ADMIN], { scopeIds: [scopeA] });
  const readOnly = await app.createKey([Permission.ISMS_READ]);
  const [admin] = await app.sql(`SELECT id FROM api_key WHERE owner_id = $1 ORDER BY created_at, id LIMIT 1`, [app.ownerId]);
  senders = { admin: app.adminKey, restricted: scoped.secret, readOnly: readOnly.secret };
  senderKeyIds = [admin.id, scoped.id, readOnly.id];
  await prepareFingerprint();
}, 120_000);
afterAll(async () => {
  // eslint-disable-next-line no-console
  console.log(`mutation fuzz: seed ${SEED}, ${mutations?.length} mutations, ${stats.requests} requests, ${stats.succeeded.size} mutations with a successful case\n`
    + [...stats.outcomes].sort().map(([k, n]) => `  ${k}: ${n}`).join('\n'));
  await app?.close();
});

/** A string hash, so each mutation's cases depend on the seed and its name only. */
const hashName = (name: string) => [...name].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16_777_619) >>> 0, 2_166_136_261);

/** Variables for a failure message: long values cut. */
function summarize(value: unknown): unknown {
  if (typeof value === 'string') return value.length > 60 ? `${JSON.stringify(value.slice(0, 40)).slice(0, -1)}…" (${value.length} chars)` : value;
  if (Array.isArray(value)) return value.length > 4 ? [...value.slice(0, 3).map(summarize), `… ${value.length} elements`] : value.map(summarize);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, summarize(v)]));
  return value;
}

async function send(document: string, variables: Record<string, unknown>, key: string): Promise<{ res?: GqlResponse; raw: string; status: number }> {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: document, variables }),
  });
  const raw = await response.text();
  stats.requests++;
  try {
    const body = JSON.parse(raw);
    return { res: { status: response.status, data: body.data, errors: body.errors, headers: response.headers, statements: 0 }, raw, status: response.status };
  } catch {
    return { raw, status: response.status };
  }
}

/** The faults of one answer (empty when it is fine). */
function faultsOf(c: FuzzCase, sent: { res?: GqlResponse; raw: string; status: number }, field: string, readOnly: boolean): string[] {
  const { res } = sent;
  if (!res || (res.data === undefined && !res.errors)) return [`not a GraphQL JSON response (HTTP ${sent.status}): ${sent.raw.slice(0, 200)}`];
  const faults: string[] = [];
  for (const error of res.errors ?? []) {
    const code = String(error.extensions?.code);
    if (code === 'INTERNAL' || !KNOWN_CODES.has(code)) faults.push(`${code}: ${error.message}`);
    if (LEAK.test(error.message)) faults.push(`message leaks internals: ${error.message.slice(0, 300)}`);
  }
  const failed = Boolean(res.errors?.length);
  if (!failed && (res.data?.[field] === undefined)) faults.push('neither data nor errors');
  if (c.mustFail && !failed) faults.push('GraphQL accepted a value its type must refuse');
  if (readOnly && !failed) faults.push('a read-only key changed something');
  return faults;
}

let current: Map<string, string>;

async function runCase(field: GraphQLField<unknown, unknown>, document: string, c: FuzzCase, key: string, who: string, round: number): Promise<string[]> {
  const sent = await send(document, c.variables, key);
  const faults = faultsOf(c, sent, field.name, who === 'read-only');
  const after = await fingerprint();
  const failed = !sent.res || Boolean(sent.res.errors?.length);
  const outcome = failed ? sent.res?.errors?.[0]?.extensions?.code ?? `HTTP ${sent.status}` : 'OK';
  tally(`${c.strategy} → ${outcome}`);
  if (VERBOSE) process.stdout.write(`${field.name} | ${who} | ${c.strategy} | ${c.change.slice(0, 120)} | ${outcome} ${sent.res?.errors?.[0]?.message?.slice(0, 160) ?? ''}\n`);
  if (failed) {
    const changed = changedTables(current, after);
    if (changed.length) faults.push(`error (${sent.res?.errors?.[0]?.extensions?.code}: ${sent.res?.errors?.[0]?.message?.slice(0, 200)}) but wrote: ${changed.join(', ')}`);
  } else {
    stats.succeeded.add(field.name);
  }
  current = after;
  stats.perMutation.set(field.name, (stats.perMutation.get(field.name) ?? 0) + 1);
  if (!faults.length) return [];
  return [`${field.name} [FUZZ_SEED=${SEED} FUZZ_ROUNDS=${ROUNDS} round ${round}, ${who}, ${c.strategy}: ${c.change}] ${faults.join(' | ')}\n    variables: ${JSON.stringify(summarize(c.variables))}`];
}

test('the fingerprint ignores a request\'s own bookkeeping and sees a one-column change', async () => {
  const before = await fingerprint();
  // the read-only key's first request stamps its last_used_at (and its asset's): not a write
  expect(ok(await app.gql('{ owners { totalCount } }', undefined, senders.readOnly)).owners.totalCount).toBeGreaterThan(0);
  expect(await app.sql('SELECT 1 FROM api_key WHERE id = $1 AND last_used_at IS NOT NULL', [senderKeyIds[2]])).toHaveLength(1);
  expect(changedTables(before, await fingerprint())).toEqual([]);
  const [owner] = await app.sql('SELECT id, name FROM owner WHERE id <> $1 ORDER BY created_at LIMIT 1', [app.ownerId]);
  await app.sql('UPDATE owner SET name = $2 WHERE id = $1', [owner.id, `${owner.name}.`]);
  expect(changedTables(before, await fingerprint())).toEqual(['owner (rows changed)']);
  await app.sql('UPDATE owner SET name = $2 WHERE id = $1', [owner.id, owner.name]);
  expect(changedTables(before, await fingerprint())).toEqual([]);
});

test('no INTERNAL error, no leaked internals and no partial write for any generated input', async () => {
  current = await fingerprint();
  const failures: string[] = [];
  for (const field of mutations) {
    await refreshPool();
    const rng = new Rng(SEED ^ hashName(field.name));
    const fuzzer = new MutationFuzzer(field, rng, ctx);
    const document = mutationDocument(field);
    const runs: Array<[string, string, number]> = [['admin', senders.admin, ROUNDS], ['scope-restricted admin', senders.restricted, RESTRICTED_ROUNDS], ['read-only', senders.readOnly, READ_ONLY_ROUNDS]];
    for (const [who, key, rounds] of runs) {
      for (let round = 0; round < rounds; round++) {
        failures.push(...(await runCase(field, document, await fuzzer.next(), key, who, round)));
      }
    }
  }
  expect(failures).toEqual([]);
}, 600_000);

test('every mutation of the schema was fuzzed, and the inputs reached the services', () => {
  expect(mutations.length).toBeGreaterThan(70);
  const perMutation = ROUNDS + RESTRICTED_ROUNDS + READ_ONLY_ROUNDS;
  expect(mutations.filter((m) => stats.perMutation.get(m.name) !== perMutation).map((m) => m.name)).toEqual([]);
  // a generator whose every input is refused at the door would pass the fuzz vacuously
  expect(stats.succeeded.size).toBeGreaterThan(mutations.length * 0.6);
});
