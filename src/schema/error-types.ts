import { NotFoundError, ValidationError } from '../errors.ts';
import { builder } from './builder.ts';

/** The contract's typed errors: expected failures are data in result unions. */
/**
 * Typed errors are told apart by name, not instanceof, so that a plain copy of one (see
 * asErrorData) resolves to the same GraphQL type as the error itself.
 */
export function isErrorNamed(name: string) {
  return (value: unknown) => (value as { name?: unknown } | null)?.name === name;
}

/** A plain-object copy of an error, for fields whose value is an error rather than a failure. */
export function asErrorData<E extends Error>(error: E): E {
  return { ...error, name: error.name, message: error.message };
}

export const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  fields: (t) => ({ message: t.exposeString('message') }),
});

const FieldError = builder
  .objectRef<ValidationError['fieldErrors'][number]>('FieldError')
  .implement({
    fields: (t) => ({
      path: t.exposeStringList('path'),
      message: t.exposeString('message'),
    }),
  });

builder.objectType(ValidationError, {
  name: 'ValidationError',
  interfaces: [ErrorInterface],
  isTypeOf: isErrorNamed('ValidationError'),
  fields: (t) => ({
    fieldErrors: t.field({ type: [FieldError], resolve: (error) => error.fieldErrors }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  interfaces: [ErrorInterface],
  isTypeOf: isErrorNamed('NotFoundError'),
  fields: () => ({}),
});
