import { isISO8601, registerDecorator, ValidateIf, ValidationOptions } from 'class-validator';

/** The field may be left out, but not sent as null. */
export const Optional = () => ValidateIf((_object: unknown, value: unknown) => value !== undefined);

/** Validates with a function returning a message (the whole value is reported under the field's name). */
export function Satisfies(
  check: (value: unknown) => string | null,
  options?: ValidationOptions,
): PropertyDecorator {
  return (target, propertyName) => {
    registerDecorator({
      name: 'satisfies',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => check(value) === null,
        defaultMessage: (args) => check(args?.value) ?? 'is invalid',
      },
    });
  };
}

/**
 * An ISO-8601 timestamp that is also a real date: class-validator's IsISO8601 alone accepts forms such
 * as week dates (`2025-W01`) that `new Date()` cannot read, which would reach the database as NaN.
 */
export function IsTimestamp(message: string): PropertyDecorator {
  return Satisfies((value) =>
    typeof value === 'string' &&
    value.length <= 64 &&
    isISO8601(value, { strict: true }) &&
    !Number.isNaN(new Date(value).getTime())
      ? null
      : message,
  );
}
