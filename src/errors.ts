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

/** A HARD limit refused usage; nothing was stored. */
export class QuotaExceededError extends Error {
  readonly meterKey: string;
  readonly limit: string;
  readonly used: string;
  readonly requested: string;
  /** When the period's usage starts again from zero; null for a gauge (seats), which never does. */
  readonly resetsAt: Date | null;
  constructor(details: {
    meterKey: string;
    limit: string;
    used: string;
    requested: string;
    resetsAt: Date | null;
  }) {
    super(
      `${details.meterKey}: recording ${details.requested} would exceed the HARD limit of ${details.limit} (${details.used} used); ${details.resetsAt ? `the limit resets at ${details.resetsAt.toISOString()}` : 'it does not reset with the period: lower the usage or raise the limit'}`,
    );
    this.name = 'QuotaExceededError';
    this.meterKey = details.meterKey;
    this.limit = details.limit;
    this.used = details.used;
    this.requested = details.requested;
    this.resetsAt = details.resetsAt;
  }
}

/** The organization's plan does not grant a feature (or not this much of it). */
export class FeatureNotEntitledError extends Error {
  readonly featureKey: string;
  /** The cheapest plan on sale that would grant it, if any. */
  readonly upgradeToPlanId: string | null;
  constructor(featureKey: string, message: string, upgradeToPlanId: string | null = null) {
    super(message);
    this.name = 'FeatureNotEntitledError';
    this.featureKey = featureKey;
    this.upgradeToPlanId = upgradeToPlanId;
  }
}

/** The payment provider (Stripe) refused or failed; nothing was changed locally. */
export class BillingProviderError extends Error {
  readonly code: string | null;
  constructor(message: string, code: string | null = null) {
    super(message);
    this.name = 'BillingProviderError';
    this.code = code;
  }
}
