/** Failure injection: the next matching requests fail (429/500) or lose their connection. */
export interface FailRule {
  method?: string;
  path?: RegExp;
  status: 429 | 500;
  retryAfterSeconds?: number;
  times?: number;
}

export interface DropRule {
  method?: string;
  path?: RegExp;
  times?: number;
}

export type Fault =
  | { kind: 'fail'; status: 429 | 500; retryAfterSeconds: number }
  | { kind: 'drop' };

interface Armed {
  fault: Fault;
  method?: string;
  path?: RegExp;
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

  /** The fault for this request, if an armed rule matches (rules fire in the order armed). */
  take(method: string, path: string): Fault | null {
    const rule = this.armed.find(
      (candidate) =>
        (candidate.method === undefined || candidate.method.toUpperCase() === method) &&
        (candidate.path === undefined || matches(candidate.path, path)),
    );
    if (!rule) return null;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.armed = this.armed.filter((candidate) => candidate !== rule);
    return rule.fault;
  }

  private arm(rule: { method?: string; path?: RegExp; times?: number }, fault: Fault): void {
    this.armed.push({
      fault,
      ...(rule.method !== undefined ? { method: rule.method } : {}),
      ...(rule.path !== undefined ? { path: rule.path } : {}),
      remaining: rule.times ?? 1,
    });
  }
}

/** Global/sticky regexes keep lastIndex between calls; reset so every test starts fresh. */
function matches(pattern: RegExp, path: string): boolean {
  pattern.lastIndex = 0;
  return pattern.test(path);
}
