/**
 * Expected failures of the domain, thrown by resolvers and mapped to the contract's typed errors
 * at the GraphQL edge (result unions) or to error codes elsewhere (REST, CLI).
 */
export interface FieldProblem {
  path: string[];
  message: string;
}

export class ValidationError extends Error {
  readonly fieldErrors: FieldProblem[];
  constructor(message: string, fieldErrors: FieldProblem[] = []) {
    super(message);
    this.name = 'ValidationError';
    this.fieldErrors = fieldErrors;
  }

  static forField(path: string[], message: string): ValidationError {
    return new ValidationError(`${path.join('.')}: ${message}`, [{ path, message }]);
  }
}

/** Also used for objects of another organization, so that their existence does not leak. */
export class NotFoundError extends Error {
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}
