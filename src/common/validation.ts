import { IsDefined, IsString, Matches, ValidateIf, type ValidationOptions } from 'class-validator';
import { badInput } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * The field may be left out, but not set to null (null would erase a required value). type-graphql
 * validates with `skipMissingProperties`, which skips every rule on a null value except IsDefined.
 */
export function Omittable(options?: ValidationOptions): PropertyDecorator {
  return (target, property) => {
    ValidateIf((_object, value) => value !== undefined, options)(target, property);
    IsDefined({ ...options, message: 'must not be null' })(target, property);
  };
}

/** The field may be left out or set to null (null clears it). */
export function Clearable(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined && value !== null, options);
}

/** PostgreSQL text cannot hold U+0000: a NUL reaching a query fails it (22021) as an INTERNAL error. */
const NO_NUL = /^[^\u0000]*$/;

export function hasNul(value: string): boolean {
  return !NO_NUL.test(value);
}

/**
 * A string PostgreSQL can store or compare: class-validator's IsString, and no NUL character. Use
 * it instead of IsString on every String input field (`{ each: true }` for lists).
 */
export function IsText(options?: ValidationOptions): PropertyDecorator {
  return (target, property) => {
    IsString(options)(target, property);
    Matches(NO_NUL, { ...options, message: 'must not contain NUL characters' })(target, property);
  };
}

/** Refuses a NUL in a plain String argument (inputs use IsText instead). */
export function requireNoNul<T extends string | null | undefined>(value: T, field: string): T {
  if (typeof value === 'string' && hasNul(value)) throw badInput(`${field} must not contain NUL characters`, field);
  return value;
}

export const NAME_MAX = 200;
export const TEXT_MAX = 10_000;
/** Something other than whitespace. */
export const NOT_BLANK = /\S/;

/** Validates free text passed as a plain argument (inputs use decorators instead). */
export function requireText(value: string, field: string, max = TEXT_MAX): string {
  requireNoNul(value, field);
  if (!NOT_BLANK.test(value)) throw badInput(`${field} must not be blank`, field);
  if (value.length > max) throw badInput(`${field} must be at most ${max} characters`, field);
  return value.trim();
}
