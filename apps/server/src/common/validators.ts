import { registerDecorator, ValidateIf, ValidationOptions } from 'class-validator';

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
