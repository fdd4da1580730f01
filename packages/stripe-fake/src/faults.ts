// Failure injection: the next matching requests fail (429/500), lose their connection, or are
// carried out with their answer lost.
// Failures drawn at random are in random-faults.ts.

/** Which requests a rule applies to: all unless narrowed by method and/or path. */
export interface RequestFilter {
  method?: string;
  path?: RegExp;
}

export interface FailRule extends RequestFilter {
  status: 429 | 500;
  retryAfterSeconds?: number;
  times?: number;
}

export interface DropRule extends RequestFilter {
  times?: number;
}

/**
 * What happens to a request instead of a plain answer: `fail` answers an error without acting,
 * `drop` resets the connection without acting, `lose` acts (and stores the idempotency key)
 * but answers 500, as when Stripe's response is lost on the way back.
 */
export type Fault =
  | { kind: 'fail'; status: 429 | 500; retryAfterSeconds: number }
  | { kind: 'drop' }
  | { kind: 'lose' };

interface Armed extends RequestFilter {
  fault: Fault;
  remaining: number;
}

export class Faults {
  private armed: Armed[] = [];

  fail(rule: FailRule): void {
    this.arm(rule, {
      kind: 'fail',
      status: rule.status,
      retryAfterSeconds: rule.retryAfterSeconds ?? 1,
    });
  }

  drop(rule: DropRule): void {
    this.arm(rule, { kind: 'drop' });
  }

  lose(rule: DropRule): void {
    this.arm(rule, { kind: 'lose' });
  }

  /** The fault for this request, if an armed rule matches (rules fire in the order armed). */
  take(method: string, path: string): Fault | null {
    const rule = this.armed.find((candidate) => appliesTo(candidate, method, path));
    if (!rule) return null;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.armed = this.armed.filter((candidate) => candidate !== rule);
    return rule.fault;
  }

  private arm(rule: RequestFilter & { times?: number }, fault: Fault): void {
    this.armed.push({
      fault,
      ...(rule.method !== undefined ? { method: rule.method } : {}),
      ...(rule.path !== undefined ? { path: rule.path } : {}),
      remaining: rule.times ?? 1,
    });
  }
}

export function appliesTo(filter: RequestFilter, method: string, path: string): boolean {
  return (
    (filter.method === undefined || filter.method.toUpperCase() === method) &&
    (filter.path === undefined || matches(filter.path, path))
  );
}

/** Global/sticky regexes keep lastIndex between calls; reset so every test starts fresh. */
function matches(pattern: RegExp, path: string): boolean {
  pattern.lastIndex = 0;
  return pattern.test(path);
}
