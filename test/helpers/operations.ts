import { randomUUID } from 'node:crypto';
import {
  isEnumType, isInputObjectType, isLeafType, isListType, isNonNullType, getNamedType,
  type GraphQLField, type GraphQLInputType, type GraphQLSchema,
} from 'graphql';

/** A root field of the schema as a callable operation with minimal (possibly invalid) arguments. */
export interface GeneratedOperation {
  /** `Query.owner`, `Mutation.createScope`, … */
  name: string;
  kind: 'query' | 'mutation';
  field: string;
  /** The document: every required argument as a variable, `__typename` for object results. */
  document: string;
  /** Fresh values for the required arguments (random ids, `x`, 1, the first enum value…). */
  variables(): Record<string, unknown>;
}

const FUTURE = () => new Date(Date.now() + 30 * 86_400_000).toISOString();

/** The smallest value GraphQL accepts for a type: required input fields only, one list element. */
export function sampleValue(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sampleValue(type.ofType);
  if (isListType(type)) return [sampleValue(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0].name;
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) && field.defaultValue === undefined) value[field.name] = sampleValue(field.type);
    }
    return value;
  }
  switch (type.name) {
    case 'ID': return randomUUID();
    case 'String': return 'x';
    case 'Int': case 'Float': return 1;
    case 'Boolean': return false;
    case 'DateTime': return FUTURE();
    case 'Date': return FUTURE().slice(0, 10);
    case 'JSONObject': return {};
    default: throw new Error(`No sample value for scalar ${type.name}: add one to test/helpers/operations.ts`);
  }
}

function generate(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): GeneratedOperation {
  const required = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  const defs = required.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const args = required.map((a) => `${a.name}: $${a.name}`).join(', ');
  const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
  return {
    name: `${kind === 'query' ? 'Query' : 'Mutation'}.${field.name}`,
    kind,
    field: field.name,
    document: `${kind}${defs ? `(${defs})` : ''} { ${field.name}${args ? `(${args})` : ''}${selection} }`,
    variables: () => Object.fromEntries(required.map((a) => [a.name, sampleValue(a.type)])),
  };
}

/** Every Query and Mutation field of the schema (subscriptions are checked per event elsewhere). */
export function rootOperations(schema: GraphQLSchema): GeneratedOperation[] {
  const query = Object.values(schema.getQueryType()?.getFields() ?? {}).map((f) => generate('query', f));
  const mutation = Object.values(schema.getMutationType()?.getFields() ?? {}).map((f) => generate('mutation', f));
  return [...query, ...mutation];
}
