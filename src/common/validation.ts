import { ValidateIf, type ValidationOptions } from 'class-validator';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** The field may be left out, but not set to null (null would erase a required value). */
export function Omittable(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined, options);
}

/** The field may be left out or set to null (null clears it). */
export function Clearable(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined && value !== null, options);
}

export const NAME_MAX = 200;
export const TEXT_MAX = 10_000;
/** Something other than whitespace. */
export const NOT_BLANK = /\S/;
