import { IsDefined, ValidateIf, type ValidationOptions } from 'class-validator';
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

export const NAME_MAX = 200;
export const TEXT_MAX = 10_000;
/** Something other than whitespace. */
export const NOT_BLANK = /\S/;

/** Validates free text passed as a plain argument (inputs use decorators instead). */
export function requireText(value: string, field: string, max = TEXT_MAX): string {
  if (!NOT_BLANK.test(value)) throw badInput(`${field} must not be blank`, field);
  if (value.length > max) throw badInput(`${field} must be at most ${max} characters`, field);
  return value.trim();
}
