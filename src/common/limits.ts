import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import type { Config } from '../config';
import { ErrorCode, LIMIT_MARKER } from './errors';

/** Reports the rule's rejection as QUERY_TOO_COMPLEX instead of letting it throw. */
function reject(limit: string) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, [LIMIT_MARKER]: limit } }));
  };
}

/** Depth, cost and alias limits, applied alike to HTTP (Apollo) and WebSocket (graphql-ws onSubscribe). */
export function limitRules(config: Pick<Config, 'maxDepth' | 'maxCost' | 'maxAliases'>): ValidationRule[] {
  return [
    maxDepthRule({ n: config.maxDepth, onReject: [reject('depth')], propagateOnRejection: false }),
    maxAliasesRule({ n: config.maxAliases, onReject: [reject('aliases')], propagateOnRejection: false }),
    costLimitRule({ maxCost: config.maxCost, onReject: [reject('cost')], propagateOnRejection: false }),
  ] as ValidationRule[];
}
