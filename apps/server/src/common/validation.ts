import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { registerDecorator, ValidationOptions } from 'class-validator';
import { ApiProblem, FieldError } from './problem';

type ItemCheck = (item: unknown) => string | null;

/**
 * Validates every element of an array property with `check` (a message, or null when fine). Each bad
 * element is reported under its own path, e.g. `events[2]`. The check travels in the constraint's
 * context, so mapped types (PartialType) that copy the metadata keep it.
 */
export function EachItem(check: ItemCheck, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) => {
    registerDecorator({
      name: 'eachItem',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { ...options, context: { itemCheck: check } },
      // Async on purpose: class-validator 0.15 attaches `context` to errors only on its async path.
      async: true,
      validator: {
        validate: async (value: unknown) =>
          !Array.isArray(value) || value.every((item) => check(item) === null),
        defaultMessage: () => 'has invalid items',
      },
    });
  };
}

function path(parent: string, property: string): string {
  if (parent === '') return property;
  return /^\d+$/.test(property) ? `${parent}[${property}]` : `${parent}.${property}`;
}

/** Flattens class-validator's tree into one error per bad field, messages without the field name repeated. */
export function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const result: FieldError[] = [];
  for (const error of errors) {
    const field = path(parent, error.property);
    const constraints = error.constraints ?? {};
    if ('whitelistValidation' in constraints) {
      result.push({ field, message: 'is not a known field' });
    } else if ('eachItem' in constraints && Array.isArray(error.value)) {
      const check = (error.contexts?.eachItem as { itemCheck?: ItemCheck } | undefined)?.itemCheck;
      error.value.forEach((item: unknown, index: number) => {
        const message = check?.(item);
        if (message) result.push({ field: `${field}[${index}]`, message });
      });
    } else {
      const [first] = Object.values(constraints);
      if (first)
        result.push({
          field,
          message: first.startsWith(`${error.property} `) ? first.slice(error.property.length + 1) : first,
        });
    }
    if (error.children?.length) result.push(...fieldErrors(error.children, field));
  }
  return result;
}

/**
 * class-validator on every body and query: unknown fields are errors, every bad field is named,
 * and a body must be a JSON object.
 */
@Injectable()
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: true,
      validationError: { target: true, value: true },
      exceptionFactory: (errors) => ApiProblem.invalid(fieldErrors(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (
      metadata.type === 'body' &&
      value !== undefined &&
      (typeof value !== 'object' || value === null || Array.isArray(value))
    ) {
      throw ApiProblem.invalid([], 'The request body must be a JSON object.');
    }
    return super.transform(value, metadata);
  }
}
