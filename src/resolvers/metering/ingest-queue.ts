/**
 * Groups single events that arrive together for one organization into one ingestion (one
 * transaction, one commit), the way a database groups commits: the first event of a quiet
 * moment is recorded at once; events arriving while it is being written wait for it and go
 * together in the next transaction. Under load this turns hundreds of one-event transactions,
 * each holding the same period total's lock through its commit, into a few larger ones; the
 * outcome of every event is what it would have been alone, in arrival order.
 */
export class IngestQueue<Input, Result> {
  readonly #pending = new Map<
    string,
    { input: Input; resolve(result: Result): void; reject(error: unknown): void }[]
  >();
  readonly #busy = new Set<string>();

  readonly #flush: (organizationId: string, inputs: Input[]) => Promise<Result[]>;
  readonly #maxBatch: number;

  constructor(
    flush: (organizationId: string, inputs: Input[]) => Promise<Result[]>,
    maxBatch: number,
  ) {
    this.#flush = flush;
    this.#maxBatch = maxBatch;
  }

  submit(organizationId: string, input: Input): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const queue = this.#pending.get(organizationId) ?? [];
      queue.push({ input, resolve, reject });
      this.#pending.set(organizationId, queue);
      if (!this.#busy.has(organizationId)) void this.#drain(organizationId);
    });
  }

  async #drain(organizationId: string): Promise<void> {
    this.#busy.add(organizationId);
    try {
      for (;;) {
        const queue = this.#pending.get(organizationId);
        if (!queue?.length) break;
        const batch = queue.splice(0, this.#maxBatch);
        try {
          const results = await this.#flush(
            organizationId,
            batch.map((item) => item.input),
          );
          for (const [i, item] of batch.entries()) item.resolve(results[i] as Result);
        } catch (error) {
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      this.#pending.delete(organizationId);
      this.#busy.delete(organizationId);
    }
  }
}
