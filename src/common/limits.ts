import {
  GraphQLError, Kind, Lexer, SchemaMetaFieldDef, Source, TokenKind, TypeMetaFieldDef, TypeNameMetaFieldDef, getNamedType, isInterfaceType, isObjectType,
  type DocumentNode, type FieldNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLNamedType, type GraphQLSchema,
  type OperationDefinitionNode, type SelectionSetNode, type ValidationContext, type ValidationRule,
} from 'graphql';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import type { Config } from '../config';
import { ErrorCode, LIMIT_MARKER } from './errors';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination';

/** Reports the rule's rejection as QUERY_TOO_COMPLEX instead of letting it throw. */
function reject(limit: string) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, [LIMIT_MARKER]: limit } }));
  };
}

/**
 * Depth and alias limits, applied alike to HTTP (Apollo) and WebSocket (graphql-ws onSubscribe).
 * The cost limit is not a validation rule: it needs the variables (see `assertCost`).
 */
export function limitRules(config: Pick<Config, 'maxDepth' | 'maxAliases'>): ValidationRule[] {
  return [
    maxDepthRule({ n: config.maxDepth, onReject: [reject('depth')], propagateOnRejection: false }),
    // graphql-armor lets aliased __typename through by default: 1,000 of them are 1,000 answers all the same
    maxAliasesRule({ n: config.maxAliases, allowList: [], onReject: [reject('aliases')], propagateOnRejection: false }),
  ] as ValidationRule[];
}

/**
 * Deepest bracket nesting (`{`, `[`, `(`) a document may have. graphql-js parses recursively and
 * overflows the stack at a few thousand levels; 200 is far above any depth MAX_QUERY_DEPTH allows
 * (at most 100) plus argument literals, and far below the overflow.
 */
export const MAX_NESTING = 200;

const OPENING = new Set<string>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING = new Set<string>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

function tooComplex(message: string, limit: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, [LIMIT_MARKER]: limit, http: { status: 400 } } });
}

/**
 * The token and nesting limits, checked on the query text before it is parsed: the work is
 * bounded by `maxTokens` whatever the size of the text, and a document that would overflow the
 * parser's stack never reaches it. A syntax error is left to the parser to report.
 */
export function documentError(query: unknown, maxTokens: number): GraphQLError | null {
  if (typeof query !== 'string') return null;
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  let nesting = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      tokens += 1;
      if (tokens > maxTokens) return tooComplex(`Query token limit of ${maxTokens} exceeded`, 'tokens');
      if (OPENING.has(token.kind)) {
        nesting += 1;
        if (nesting > MAX_NESTING) return tooComplex(`Query nesting limit of ${MAX_NESTING} brackets exceeded`, 'nesting');
      } else if (CLOSING.has(token.kind)) {
        nesting -= 1;
      }
    }
  } catch {
    return null;
  }
  return null;
}

/**
 * graphql-js gives up comparing same-named fields for conflicts when a document has too many of
 * them (a fixed work budget) and reports only "Validation aborted.": that is the document's size,
 * so it is refused as a limit like the others.
 */
export function validationBudgetError(error: { message: string }): GraphQLError | null {
  if (error.message !== 'Validation aborted.') return null;
  return tooComplex('Query has too many fields of the same name to validate', 'fields');
}

type Variables = Record<string, unknown> | null | undefined;

function fieldDefinition(schema: GraphQLSchema, parent: GraphQLNamedType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === '__typename') return TypeNameMetaFieldDef;
  if (parent === schema.getQueryType() && name === '__schema') return SchemaMetaFieldDef;
  if (parent === schema.getQueryType() && name === '__type') return TypeMetaFieldDef;
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
}

/** Rows a field may return: its `first` (literal, variable or default page size), capped at the maximum page. */
function rowsOf(field: GraphQLField<unknown, unknown>, node: FieldNode, operation: OperationDefinitionNode, variables: Variables): number {
  const argument = field.args.find((a) => a.name === 'first');
  if (!argument) return 1;
  const given = node.arguments?.find((a) => a.name.value === 'first')?.value;
  let value: unknown = argument.defaultValue;
  if (given?.kind === Kind.INT) value = Number(given.value);
  else if (given?.kind === Kind.VARIABLE) {
    const name = given.name.value;
    const fallback = operation.variableDefinitions?.find((d) => d.variable.name.value === name)?.defaultValue;
    value = variables?.[name] ?? (fallback?.kind === Kind.INT ? Number(fallback.value) : undefined);
  }
  const rows = typeof value === 'number' && Number.isFinite(value) ? value : DEFAULT_PAGE_SIZE;
  // out-of-range values are refused later as BAD_USER_INPUT, with the field named
  return Math.min(Math.max(rows, 1), MAX_PAGE_SIZE);
}

/**
 * Cost of an operation: every field costs 1, and what is selected below a field that takes
 * `first` counts once per row it may return. It needs the variables, since a cost that ignores
 * `first: $n` is no limit at all: it runs where they are known (Apollo's didResolveOperation,
 * graphql-ws onSubscribe), after validation.
 */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Variables): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const fragmentCosts = new Map<string, number>();
  const visiting = new Set<string>();

  const costOf = (type: GraphQLNamedType | undefined, set: SelectionSetNode): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const field = type && fieldDefinition(schema, type, selection.name.value);
        total += 1;
        if (selection.selectionSet) {
          const below = costOf(field ? getNamedType(field.type) : undefined, selection.selectionSet);
          total += (field ? rowsOf(field, selection, operation, variables) : 1) * below;
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const inner = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        total += costOf(inner ?? undefined, selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || visiting.has(name)) continue;
        if (!fragmentCosts.has(name)) {
          visiting.add(name);
          fragmentCosts.set(name, costOf(schema.getType(fragment.typeCondition.name.value) ?? undefined, fragment.selectionSet));
          visiting.delete(name);
        }
        total += fragmentCosts.get(name)!;
      }
    }
    return total;
  };

  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  return costOf(root ?? undefined, operation.selectionSet);
}

/** The cost error, QUERY_TOO_COMPLEX, or null when the operation is within `maxCost`. */
export function costError(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Variables, maxCost: number): GraphQLError | null {
  const cost = operationCost(schema, document, operation, variables);
  if (cost <= maxCost) return null;
  return new GraphQLError(`Query cost limit of ${maxCost} exceeded, found ${cost}`, {
    extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, [LIMIT_MARKER]: 'cost' },
  });
}
