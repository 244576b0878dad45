import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { registerDecorator, ValidationError, ValidationOptions, validate } from 'class-validator';
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

/** What a missing required field is told (optional ones are not checked when absent). */
const REQUIRED = 'is required';

/**
 * class-validator runs a property's checks in reverse order of their decorators, so of several
 * failed checks the first may be a size limit on a value of the wrong type: the type check speaks first.
 */
const TYPE_CHECKS = ['isString', 'isArray', 'isInt', 'isBoolean', 'isObject'];

function firstMessage(constraints: Record<string, string>): string | undefined {
  const type = TYPE_CHECKS.find((name) => name in constraints);
  return type ? constraints[type] : Object.values(constraints)[0];
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
      const first = error.value === undefined ? REQUIRED : firstMessage(constraints);
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
 * A body DTO checked by hand instead of by class-transformer and class-validator, which cost about
 * 110 µs a request (docs/benchmarks.md, round 6): for the hottest route, POST /events. `fields` are
 * the accepted keys; `check` names every bad one, with the messages class-validator would give.
 */
export interface HandChecked {
  readonly fields: readonly string[];
  check(input: Record<string, unknown>): FieldError[];
}

function isHandChecked(metatype: unknown): metatype is HandChecked & (new () => object) {
  return typeof (metatype as Partial<HandChecked>).check === 'function';
}

const PASS_THROUGH: readonly unknown[] = [String, Boolean, Number, Array, Object, Buffer, Date];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * class-validator on every body and query: unknown fields are errors, every bad field is named, and
 * a body must be a JSON object.
 *
 * Unlike Nest's ValidationPipe, objects and arrays inside the input are kept exactly as the client
 * sent them: only top-level scalars go through class-transformer (query strings to numbers). Our
 * DTOs are flat, and event `data` must reach storage as sent, keys such as `constructor` included
 * (Nest's pipe deletes those, and class-transformer chokes on `__proto__`). Nothing merges these
 * objects into others, so keeping such keys as own properties pollutes no prototype.
 */
@Injectable()
export class RequestValidationPipe implements PipeTransform {
  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { metatype, type } = metadata;
    if (type === 'custom' || !metatype || PASS_THROUGH.includes(metatype)) return value;
    if (type === 'body' && value !== undefined && !isPlainObject(value)) {
      throw ApiProblem.invalid([], 'The request body must be a JSON object.');
    }
    const input = isPlainObject(value) ? value : {};
    const scalars: Record<string, unknown> = {};
    const structured: Array<[string, unknown]> = [];
    // No DTO has a field named like an Object.prototype member (`constructor`, `__proto__`,
    // `toString`…); class-transformer and class-validator silently skip such keys (or choke on a
    // `constructor` that is data), so they are reported here.
    const unknown: FieldError[] = [];
    for (const [key, entry] of Object.entries(input)) {
      if (key in Object.prototype) unknown.push({ field: key, message: 'is not a known field' });
      else if (entry !== null && typeof entry === 'object') structured.push([key, entry]);
      else scalars[key] = entry;
    }
    if (isHandChecked(metatype)) {
      const errors = [
        ...Object.keys(input)
          .filter((key) => !(key in Object.prototype) && !metatype.fields.includes(key))
          .map((field) => ({ field, message: 'is not a known field' })),
        ...metatype.check(input),
        ...unknown,
      ];
      if (errors.length > 0) throw ApiProblem.invalid(errors);
      const dto = new metatype() as Record<string, unknown>;
      for (const field of metatype.fields) if (Object.hasOwn(input, field)) dto[field] = input[field];
      return dto;
    }
    const dto = plainToInstance(metatype as new () => object, scalars) as Record<string, unknown>;
    for (const [key, entry] of structured) {
      Object.defineProperty(dto, key, { value: entry, enumerable: true, writable: true, configurable: true });
    }
    const errors = await validate(dto, {
      whitelist: true,
      forbidNonWhitelisted: true,
      validationError: { target: true, value: true },
    });
    if (errors.length > 0 || unknown.length > 0)
      throw ApiProblem.invalid([...fieldErrors(errors), ...unknown]);
    return dto;
  }
}
