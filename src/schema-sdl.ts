import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildIsmsSchema } from './schema';

/** The SDL, sorted so diffs show real changes only. */
export async function printSDL(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildIsmsSchema()))}\n`;
}
