import {
  getNamedType, isEnumType, isInputObjectType, isLeafType, isListType, isNonNullType, isObjectType,
  type GraphQLArgument, type GraphQLField, type GraphQLInputField, type GraphQLInputType, type GraphQLNamedType,
} from 'graphql';

/**
 * Generated inputs for the mutation fuzz test (test/mutation-fuzz.test.ts): a plausible base built
 * from the schema and a pool of real entity ids, then hostile variants of it.
 */

/** mulberry32: small, seedable, the same sequence on every machine. */
export class Rng {
  private state: number;
  constructor(seed: number) { this.state = seed >>> 0; }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]; }
  chance(p: number): boolean { return this.next() < p; }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) { const j = this.int(i + 1); [items[i], items[j]] = [items[j], items[i]]; }
    return items;
  }
  token(): string { return Math.floor(this.next() * 2 ** 32).toString(36); }
}

export const ENTITY_KINDS = [
  'owner', 'scope', 'control', 'risk', 'task', 'exception', 'evidence', 'asset', 'framework', 'requirement',
  'crosswalk', 'mapping', 'apiKey', 'allowedOperation', 'endpoint', 'delivery', 'reminder', 'calendarToken', 'finding',
] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];
export type Pool = Record<EntityKind, string[]>;

/** What the generator knows of the seeded database. */
export interface FuzzContext {
  pool: Pool;
  /** Keys of adopted/adoptable frameworks, with a version each. */
  frameworks: Array<{ key: string; version: string }>;
  /** The current version (or framework revision) of an entity, for `expectedVersion`. */
  version(kind: EntityKind, id: string): Promise<number | undefined>;
}

export type Vars = Record<string, unknown>;
export interface FuzzCase {
  /** valid | one-field | null-optional | several | type-invalid */
  strategy: string;
  /** What was changed, e.g. `input.title = <100k chars>`. */
  change: string;
  variables: Vars;
  /** GraphQL itself must refuse these (variable coercion): the request has to fail. */
  mustFail: boolean;
}

const NOUNS: Record<string, EntityKind> = {
  Owner: 'owner', Scope: 'scope', Control: 'control', Risk: 'risk', TreatmentTask: 'task', Exception: 'exception',
  Evidence: 'evidence', Asset: 'asset', Framework: 'framework', Requirement: 'requirement', Crosswalk: 'crosswalk',
  Mapping: 'mapping', ApiKey: 'apiKey', Reminder: 'reminder', CalendarToken: 'calendarToken', WebhookEndpoint: 'endpoint',
  NonHumanIdentity: 'asset',
};
const FIELD_KINDS: Record<string, EntityKind> = {
  keyId: 'apiKey', operationIds: 'allowedOperation', ownerId: 'owner', assigneeId: 'owner', approverId: 'owner',
  requestedById: 'owner', scopeId: 'scope', scopeIds: 'scope', controlId: 'control', controlIds: 'control',
  compensatingControlIds: 'control', riskId: 'risk', requirementId: 'requirement', sourceRequirementId: 'requirement',
  targetRequirementId: 'requirement', frameworkId: 'framework', sourceFrameworkId: 'framework', targetFrameworkId: 'framework',
  crosswalkId: 'crosswalk', assetId: 'asset', consumerIds: 'asset', findingIds: 'finding', deliveryId: 'delivery',
};

/** The entity an ID argument or input field names: from its name, or for `id` from the mutation's noun. */
export function idKind(mutation: string, field: string, inputType?: string): EntityKind | undefined {
  if (field === 'id') {
    const noun = mutation.replace(/^(archive|update|revoke|rotate|acknowledge|approve|reject|disable|enable|delete)/, '');
    return NOUNS[noun];
  }
  if (field === 'parentId') return inputType?.includes('Requirement') ? 'requirement' : 'scope';
  if (field === 'subjectId') return 'risk';
  return FIELD_KINDS[field];
}

const TABLE_OF: Partial<Record<EntityKind, string>> = {
  owner: 'owner', scope: 'scope', control: 'control', risk: 'risk', task: 'treatment_task', exception: 'exception',
  evidence: 'evidence', asset: 'asset', framework: 'framework', requirement: 'requirement', crosswalk: 'crosswalk', mapping: 'mapping',
};
export const versionTable = (kind: EntityKind) => TABLE_OF[kind];

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** Small valid documents for the import mutations and the allow-list. */
function document(mutation: string, rng: Rng, format: unknown): string {
  const tag = rng.token();
  switch (mutation) {
    case 'registerAllowedOperation': return rng.pick(['query { owners { totalCount } }', `query Q${tag} { scopes { totalCount } }`, 'mutation($i: CreateOwnerInput!) { createOwner(input: $i) { id } }']);
    case 'importOscalCatalog': return JSON.stringify({
      catalog: {
        uuid: '5e1ed0c2-3b41-4f3e-9a52-1d8c2a0f7b11', metadata: { title: `Fuzz ${tag}`, version: '1', 'oscal-version': '1.1.2', 'last-modified': '2024-01-01T00:00:00Z' },
        groups: [{ id: 'g1', title: 'Group', controls: [{ id: 'c-1', title: 'One', parts: [{ name: 'statement', prose: 'Do it.' }] }, { id: 'c-2', title: 'Two' }] }],
      },
    });
    case 'importRequirementsCsv': return `code,title,kind,parent,assessable,text\nF-${tag},Fuzzed,CONTROL,,true,Some text\nF-${tag}.1,"Child, quoted",CONTROL,F-${tag},false,\n`;
    case 'importMappings': return format === 'CISO_ASSISTANT_YAML'
      ? 'urn: urn:fuzz\nobjects:\n  requirement_mapping_set:\n    urn: urn:fuzz:set\n    requirement_mappings: []\n'
      : 'source,target,relationship,rationale,strength,notes\n5.1,A.5.1,equal,semantic,10,fuzz\n5.2,A.5.2,subset,,,\n';
    case 'importNonHumanIdentities': return format === 'CSV'
      ? `id,name,type,environments,privileged,rotationDays\nfz-${tag},deployer,service_account,production,true,90\n`
      : JSON.stringify([{ id: `fz-${tag}`, name: 'deployer', type: 'service_account', environments: ['production'], privileged: true, rotationDays: 90 }]);
    default: return 'x';
  }
}

/** A document of the right format with one fault inside: the parsers and importers must judge it. */
function hostileDocument(mutation: string, rng: Rng, format: unknown): [string, string] {
  const base = document(mutation, rng, format);
  const json = base.startsWith('{') || base.startsWith('[');
  const variants: Array<() => [string, string]> = [
    () => [base.replace(/(Fuzzed|One|deployer|Group|fuzz)/, json ? 'a\\u0000b' : 'a\u0000b'), 'document with a NUL inside a value'],
    () => [base.replace(/(Fuzzed|One|deployer|Group|fuzz)/, 'y'.repeat(20_000)), 'document with a 20,000-char value'],
    () => [base.replace(/(Fuzzed|One|deployer|Group|fuzz)/, json ? '\\ud800' : '\ud800'), 'document with a lone surrogate'],
    () => [base.replace(/\b(90|1|10)\b/, rng.pick(['1e400', '-1', '2147483648', '99999999999999999999', '0.5', 'NaN'])), 'document with an extreme number'],
    () => [base.replace(/"?(2024-01-01T00:00:00Z|true|production|CONTROL|equal|service_account)"?/, json ? rng.pick(['null', '"0001-01-01"', '"garbage"', '{}', '[]', '12']) : rng.pick(['', 'garbage', '0001-01-01', ';;;'])), 'document with a wrong-typed value'],
    () => [base.slice(0, Math.floor(base.length / 2)), 'truncated document'],
    () => [json ? rng.pick(['null', '[null]', '{"catalog": null}', '{"catalog": {"groups": [{"controls": [{"id": null, "title": 5}]}]}}', '{"items": {}}', '[[[[]]]]', '"text"', '{"catalog": {"metadata": {}, "controls": [{"id": "", "title": ""}]}}'])
      : base.split('\n')[0] + '\n' + Array.from({ length: 10_000 }, (_, i) => `D-${i},row ${i},CONTROL,,true,t`).join('\n'), json ? 'JSON of the wrong shape' : 'CSV with 10,000 rows'],
    () => [base.replace(/\n/, '\n' + base.split('\n')[1] + '\n'), 'duplicated row'],
    () => [json ? `${'['.repeat(50_000)}${']'.repeat(50_000)}` : `${'"'.repeat(3)}${'x,'.repeat(50_000)}`, json ? 'JSON nested 50,000 deep' : 'CSV of 50,000 columns'],
    () => [json ? `{"catalog":{"uuid":"x","metadata":{"title":"deep"},"groups":[${'{"id":"g","title":"g","groups":['.repeat(5_000)}${']}'.repeat(5_000)}]}}` : base.replace(/\n/g, '\r'), json ? 'groups nested 5,000 deep' : 'CR line ends'],
  ];
  if (mutation === 'registerAllowedOperation') {
    variants.push(() => ['query {', 'unparsable GraphQL'], () => ['subscription { reminderFired { id } }', 'a subscription'],
      () => [`query { ${Array.from({ length: 2_000 }, (_, i) => `a${i}: owners { totalCount }`).join(' ')} }`, '2,000 aliases'],
      () => ['query A { owners { totalCount } } query B { scopes { totalCount } }', 'two operations'], () => ['fragment F on Owner { id }', 'no operation']);
  }
  return rng.pick(variants)();
}

/** A base value of a leaf: real ids of the right kind, plausible numbers and dates by field name. */
function baseLeaf(ctx: FuzzContext, rng: Rng, mutation: string, name: string, type: GraphQLNamedType, inputType: string | undefined, siblings: Vars): unknown {
  if (isEnumType(type)) {
    const values = type.getValues().map((v) => v.name).filter((v) => v !== 'UNDECIDED');
    if (name === 'subjectType') return rng.pick(['RISK', 'CONTROL']);
    if (name === 'permissions') return 'ISMS_READ';
    return rng.pick(values);
  }
  const now = Date.now();
  switch (type.name) {
    case 'ID': {
      const kind = idKind(mutation, name, inputType) ?? 'owner';
      const ids = ctx.pool[kind];
      return ids.length ? rng.pick(ids) : NIL_UUID;
    }
    case 'Int':
      if (/likelihood|impact/i.test(name)) return 1 + rng.int(5);
      if (name === 'riskAppetite') return 9;
      if (name === 'strength') return rng.int(11);
      if (name === 'rateLimitPerMinute') return 60;
      if (/Days$/.test(name)) return 90;
      return 1;
    case 'Boolean': return rng.chance(0.5);
    case 'DateTime': return /^(expiresAt|validUntil)$/.test(name) ? iso(now + 30 * DAY) : iso(now - DAY);
    case 'Date': return iso(now + 14 * DAY).slice(0, 10);
    case 'String':
      if (name === 'email') return `fuzz-${rng.token()}@example.com`;
      if (/url$/i.test(name)) return inputType === 'CreateWebhookEndpointInput' ? 'http://127.0.0.1:9/hook' : 'https://example.com/ticket/1';
      if (name === 'frameworkKey' || name === 'sourceFrameworkKey' || name === 'targetFrameworkKey') {
        return mutation.startsWith('import') && mutation !== 'importMappings' ? `fuzz-${rng.token()}` : rng.pick(ctx.frameworks).key;
      }
      if (/Version$/.test(name) && name.startsWith('framework')) return ctx.frameworks.find((f) => f.key === siblings.frameworkKey)?.version ?? '1';
      if (name === 'document') return document(mutation, rng, siblings.format);
      if (/^(key|code|crosswalkKey|externalId|idempotencyKey)$/.test(name)) return `fz-${rng.token()}`;
      if (name === 'version') return `v${rng.int(1000)}`;
      if (name === 'system') return rng.pick(['jira', 'servicenow', `sys-${rng.int(3)}`]);
      if (name === 'sourceSystem') return rng.pick(['jira', 'cmdb', `src-${rng.token()}`]);
      return rng.pick(['Fuzzed value', 'Review the firewall rules', 'Zugriffsprüfung für Ä-Systeme']);
    default: return 'x';
  }
}

/** Fixes the fields a base must agree on (a review's subject and its type, an exception's kind and target). */
function agree(ctx: FuzzContext, rng: Rng, typeName: string, value: Vars): void {
  const some = (kind: EntityKind) => (ctx.pool[kind].length ? rng.pick(ctx.pool[kind]) : NIL_UUID);
  if (typeName === 'RecordReviewInput') value.subjectId = some(value.subjectType === 'CONTROL' ? 'control' : 'risk');
  if (typeName === 'RequestExceptionInput') {
    if (value.kind === 'RISK_ACCEPTANCE') { value.riskId = some('risk'); delete value.controlId; delete value.requirementId; }
    else { value.controlId = some('control'); delete value.riskId; }
  }
  if (typeName === 'CreateAssetInput' || typeName === 'UpdateAssetInput') {
    if (value.kind === 'NON_HUMAN_IDENTITY') value.nhiKind ??= 'SERVICE_ACCOUNT';
    else for (const f of ['nhiKind', 'environments', 'consumerIds', 'privileged', 'humanUse', 'lastRotatedAt', 'rotationIntervalDays', 'expiresAt', 'lastUsedAt']) delete value[f];
  }
  if (typeName === 'CreateApiKeyInput') value.expiresAt ??= iso(Date.now() + 30 * DAY);
}

type Slot = { name: string; type: GraphQLInputType; defaultValue?: unknown };

function baseValue(ctx: FuzzContext, rng: Rng, mutation: string, slot: Slot, inputType: string | undefined, siblings: Vars): unknown {
  const type = isNonNullType(slot.type) ? slot.type.ofType : slot.type;
  if (isListType(type)) {
    const element = { name: slot.name, type: type.ofType as GraphQLInputType };
    return [baseValue(ctx, rng, mutation, element, inputType, siblings)];
  }
  if (isInputObjectType(type)) {
    const value: Vars = {};
    for (const field of Object.values(type.getFields())) {
      const required = isNonNullType(field.type) && field.defaultValue === undefined;
      if (required || rng.chance(0.4)) value[field.name] = baseValue(ctx, rng, mutation, field, type.name, value);
    }
    agree(ctx, rng, type.name, value);
    return value;
  }
  return baseLeaf(ctx, rng, mutation, slot.name, getNamedType(type), inputType, siblings);
}

/** Hostile strings: GraphQL accepts them all as String. */
const LONG = 'x'.repeat(100_000);
const HOSTILE_STRINGS: Array<[string, string]> = [
  ['', 'empty'], ['   \t\n ', 'whitespace'], [LONG, '100k chars'], ['a'.repeat(201), '201 chars'], ['a'.repeat(10_001), '10,001 chars'],
  ['nul\u0000inside', 'NUL'], ['\u0000', 'only NUL'], ['ctl\u0001\u0007\u001b[31m\u007f', 'control chars'], ['🔥💥'.repeat(50), 'emoji'],
  ['\ud800lone', 'lone surrogate'], ['\u202eRTL', 'RTL override'], ["x'; DROP TABLE owner; --", 'SQL'], ['%_\\', 'LIKE wildcards'],
  ['-1', 'numeric text'], ['NaN', 'NaN'], ['1e309', 'overflow text'], ['{"a":', 'broken JSON'], ['[]', 'empty JSON list'], ['null', 'null text'],
  ['{}', 'empty JSON object'], ['[' .repeat(5_000), 'deep JSON'], ['a,b\n"unterminated', 'broken CSV'], ['code\n', 'CSV header only'],
  [NIL_UUID, 'nil UUID text'], ['javascript:alert(1)', 'javascript URL'], ['http://169.254.169.254/latest', 'metadata URL'], ['ftp://x', 'ftp URL'],
  ['not an email', 'not an email'], ['a@b', 'short email'], ['__proto__', '__proto__'], ['  padded  ', 'padded'],
];
const HOSTILE_DATETIMES = ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '1970-01-01T00:00:00Z', '2024-02-30T00:00:00Z', 'not a date', '', '2024-01-01', '+275760-09-13T00:00:00Z', '2024-01-01T25:00:00Z', 'now'];
const HOSTILE_DATES = ['0001-01-01', '9999-12-31', '1970-01-01', '2024-02-30', '2023-13-01', 'not a date', '', '2024-01-01T00:00:00Z', '10000-01-01'];
const HOSTILE_INTS = [0, -1, -2_147_483_648, 2_147_483_647, 6, 11, 1_000_000, 100_001, 501];

function hostileId(ctx: FuzzContext, rng: Rng, kind: EntityKind | undefined): [unknown, string] {
  const others = ENTITY_KINDS.filter((k) => k !== kind && ctx.pool[k].length);
  const wrong = rng.pick(others);
  const choices: Array<() => [unknown, string]> = [
    () => ['not-a-uuid', 'non-UUID'], () => ['', 'empty id'], () => [NIL_UUID, 'nil UUID'], () => ['ffffffff-ffff-ffff-ffff-ffffffffffff', 'max UUID'],
    () => ['3fa85f64-5717-4562-b3fc-2c963f66afa6', 'unknown UUID'], () => [12345, 'integer id'], () => ['1'.repeat(10_000), 'long id'],
    () => [`${rng.pick(ctx.pool[wrong])}`, `a ${wrong} id`], () => [`{${rng.pick(ctx.pool[wrong])}}`, 'braced UUID'],
    () => [` ${rng.pick(ctx.pool[wrong])} `, 'padded UUID'], () => ['00000000-0000-0000-0000-00000000000g', 'almost a UUID'],
    () => ['\u0000', 'NUL id'],
  ];
  if (kind && ctx.pool[kind].length) {
    choices.push(() => [rng.pick(ctx.pool[kind]).toUpperCase(), `upper-case ${kind} id`]);
    choices.push(() => [rng.pick(ctx.pool[kind]), `another ${kind} id`]);
  }
  return rng.pick(choices)();
}

/** A value of the right GraphQL type that the service must judge: strings, ids, numbers, dates, lists. */
function hostileValue(ctx: FuzzContext, rng: Rng, mutation: string, slot: Slot, inputType: string | undefined): [unknown, string] {
  const type = isNonNullType(slot.type) ? slot.type.ofType : slot.type;
  if (isListType(type)) {
    const element: Slot = { name: slot.name, type: type.ofType as GraphQLInputType };
    const one = () => baseValue(ctx, rng, mutation, element, inputType, {});
    switch (rng.int(6)) {
      case 0: return [[], 'empty list'];
      case 1: { const v = one(); return [Array.from({ length: 10_000 }, () => v), '10,000 equal elements']; }
      case 2: {
        const v = one();
        // the same id in another letter case is the same UUID to PostgreSQL
        return typeof v === 'string' && /^[0-9a-f-]{36}$/.test(v) && rng.chance(0.5) ? [[v, v.toUpperCase()], 'duplicated id in upper case'] : [[v, v], 'duplicated element'];
      }
      case 3: { const [v, label] = hostileValue(ctx, rng, mutation, element, inputType); return [[one(), v], `list with ${label}`]; }
      case 4: return [Array.from({ length: 501 }, one), '501 elements'];
      default: { const all = ctx.pool[idKind(mutation, slot.name, inputType) ?? 'owner']; return [all.length ? [...all] : [], 'every known id']; }
    }
  }
  if (isInputObjectType(type)) {
    // an object of the right shape whose every present field is hostile
    const value = baseValue(ctx, rng, mutation, slot, inputType, {}) as Vars;
    const fields = type.getFields();
    for (const key of Object.keys(value)) value[key] = hostileValue(ctx, rng, mutation, fields[key], type.name)[0];
    return [value, 'every field hostile'];
  }
  const named = getNamedType(type);
  if (isEnumType(named)) { const v = rng.pick(named.getValues()).name; return [v, `enum ${v}`]; }
  switch (named.name) {
    case 'ID': return hostileId(ctx, rng, idKind(mutation, slot.name, inputType));
    case 'Int': { const v = rng.pick(HOSTILE_INTS); return [v, `int ${v}`]; }
    case 'Float': { const v = rng.pick([0, -0.5, 1e308, -1e308, 5e-324, 2 ** 53]); return [v, `float ${v}`]; }
    case 'Boolean': return [rng.chance(0.5), 'boolean'];
    case 'DateTime': { const v = rng.pick(HOSTILE_DATETIMES); return [v, `DateTime ${JSON.stringify(v)}`]; }
    case 'Date': { const v = rng.pick(HOSTILE_DATES); return [v, `Date ${JSON.stringify(v)}`]; }
    default: {
      if (slot.name === 'document' && rng.chance(0.6)) return hostileDocument(mutation, rng, undefined);
      const [v, label] = rng.pick(HOSTILE_STRINGS);
      return [v, label];
    }
  }
}

/** A value GraphQL's variable coercion must refuse. */
function typeInvalid(rng: Rng, slot: Slot): [unknown, string] | undefined {
  const type = isNonNullType(slot.type) ? slot.type.ofType : slot.type;
  const named = getNamedType(type);
  const choices: Array<() => [unknown, string] | undefined> = [
    () => [{ nested: true }, 'object for a scalar'],
    () => (isNonNullType(slot.type) ? [null, 'null for a non-null field'] : undefined),
  ];
  if (isListType(type)) {
    if (isNonNullType(type.ofType)) choices.push(() => [[null], 'null element']);
    choices.push(() => [[{ nested: true }], 'object element']);
  }
  if (isInputObjectType(named) && !isListType(type)) return rng.pick<() => [unknown, string]>([() => ['text', 'string for an input object'], () => [[1], 'list of numbers for an input object']])();
  if (isEnumType(named)) choices.push(() => ['NOT_A_VALUE', 'unknown enum value'], () => [named.getValues()[0].name.toLowerCase(), 'lower-case enum value'], () => [7, 'number for an enum']);
  switch (named.name) {
    case 'Int': choices.push(() => [1.5, 'fraction for Int'], () => [2_147_483_648, '2^31 for Int'], () => ['NaN', 'NaN for Int'], () => ['12', 'numeric string for Int']); break;
    case 'Float': choices.push(() => ['NaN', 'NaN for Float'], () => ['Infinity', 'Infinity for Float']); break;
    case 'Boolean': choices.push(() => ['true', 'string for Boolean'], () => [0, 'number for Boolean']); break;
    case 'String': choices.push(() => [42, 'number for String'], () => [true, 'boolean for String']); break;
    case 'ID': choices.push(() => [1.5, 'fraction for ID'], () => [false, 'boolean for ID']); break;
    case 'DateTime': case 'Date': choices.push(() => [1_700_000_000, `number for ${named.name}`], () => [true, `boolean for ${named.name}`]); break;
    default: break;
  }
  return rng.pick(choices)();
}

/** A place in the variables: [`input`, `title`] is `variables.input.title`. */
interface Place { path: string[]; slot: Slot; inputType?: string; required: boolean }

function places(args: readonly GraphQLArgument[]): Place[] {
  const out: Place[] = [];
  const walk = (path: string[], slot: Slot, inputType: string | undefined, depth: number) => {
    const required = isNonNullType(slot.type) && slot.defaultValue === undefined;
    out.push({ path, slot, inputType, required });
    const named = getNamedType(slot.type);
    const type = isNonNullType(slot.type) ? slot.type.ofType : slot.type;
    if (isInputObjectType(named) && !isListType(type) && depth < 3) {
      for (const field of Object.values(named.getFields()) as GraphQLInputField[]) walk([...path, field.name], field, named.name, depth + 1);
    }
  };
  for (const arg of args) walk([arg.name], arg, undefined, 0);
  return out;
}

function setAt(vars: Vars, path: string[], value: unknown, remove = false): void {
  let target = vars;
  for (const key of path.slice(0, -1)) {
    if (!target[key] || typeof target[key] !== 'object' || Array.isArray(target[key])) target[key] = {};
    target = target[key] as Vars;
  }
  const last = path[path.length - 1];
  if (remove) delete target[last]; else target[last] = value;
}

const short = (label: string, path: string[]) => `${path.join('.')} = ${label}`;

/** The document of a mutation: every argument as a variable, `__typename` (and `id` where there is one) selected. */
export function mutationDocument(field: GraphQLField<unknown, unknown>): string {
  const defs = field.args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const args = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const result = getNamedType(field.type);
  const selection = isLeafType(result) ? '' : isObjectType(result) && result.getFields().id ? ' { __typename id }' : ' { __typename }';
  return `mutation Fuzz${defs ? `(${defs})` : ''} { ${field.name}${args ? `(${args})` : ''}${selection} }`;
}

/**
 * Cases for one mutation. The base fills required fields and some optional ones with plausible
 * values (real ids of the right kind); each case then changes the base. One-field changes walk the
 * places in a shuffled order, so every field is hit once the rounds outnumber the places.
 */
export class MutationFuzzer {
  private readonly places: Place[];
  private cursor = 0;
  constructor(readonly field: GraphQLField<unknown, unknown>, private readonly rng: Rng, private readonly ctx: FuzzContext) {
    this.places = rng.shuffle(places(field.args));
  }

  async base(): Promise<Vars> {
    const vars: Vars = {};
    for (const arg of this.field.args) {
      const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
      if (arg.name === 'idempotencyKey') { if (this.rng.chance(0.3)) vars.idempotencyKey = `fz-${this.rng.int(4)}`; continue; }
      if (required || this.rng.chance(0.3)) vars[arg.name] = baseValue(this.ctx, this.rng, this.field.name, arg, undefined, vars);
    }
    for (const name of ['expectedVersion', 'expectedRevision']) {
      if (!(name in vars) || typeof vars.id !== 'string') continue;
      const kind = idKind(this.field.name, 'id');
      const current = kind ? await this.ctx.version(kind, vars.id) : undefined;
      if (current !== undefined) vars[name] = current;
    }
    return vars;
  }

  async next(): Promise<FuzzCase> {
    const variables = await this.base();
    const roll = this.rng.next();
    if (roll < 0.08 || !this.places.length) return { strategy: 'valid', change: 'none', variables, mustFail: false };
    if (roll < 0.16) {
      const optional = this.places.filter((p) => !p.required);
      for (const p of optional) if (this.rng.chance(0.6)) setAt(variables, p.path, null);
      return { strategy: 'null-optional', change: 'optional fields null', variables, mustFail: false };
    }
    if (roll < 0.3) {
      const changes: string[] = [];
      for (let i = 0; i < 2 + this.rng.int(3); i++) {
        const p = this.rng.pick(this.places);
        const [value, label] = hostileValue(this.ctx, this.rng, this.field.name, p.slot, p.inputType);
        setAt(variables, p.path, value);
        changes.push(short(label, p.path));
      }
      return { strategy: 'several', change: changes.join('; '), variables, mustFail: false };
    }
    const place = this.places[this.cursor++ % this.places.length];
    if (roll < 0.45) {
      const made = this.rng.chance(0.15) ? this.structural(variables, place) : typeInvalid(this.rng, place.slot);
      if (made) {
        if (made[0] !== undefined) setAt(variables, place.path, made[0]);
        return { strategy: 'type-invalid', change: short(made[1], place.path), variables, mustFail: true };
      }
    }
    const [value, label] = hostileValue(this.ctx, this.rng, this.field.name, place.slot, place.inputType);
    setAt(variables, place.path, value);
    return { strategy: 'one-field', change: short(label, place.path), variables, mustFail: false };
  }

  /** A required field left out, or an unknown field added to an input object. */
  private structural(variables: Vars, place: Place): [unknown, string] | undefined {
    if (place.required) { setAt(variables, place.path, undefined, true); return [undefined, 'required field left out']; }
    const named = getNamedType(place.slot.type);
    const type = isNonNullType(place.slot.type) ? place.slot.type.ofType : place.slot.type;
    if (isInputObjectType(named) && !isListType(type)) {
      const value = { ...((baseValue(this.ctx, this.rng, this.field.name, place.slot, place.inputType, {}) as Vars) ?? {}), unknownField: 'x' };
      return [value, 'unknown field added'];
    }
    return undefined;
  }
}
