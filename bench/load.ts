import { Agent, request } from 'node:http';

/** A small HTTP load driver: `concurrency` keep-alive connections, each sending back to back. */
export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

export async function drive(options: {
  url: string;
  concurrency: number;
  requests: number;
  /** The body and headers of request number i. */
  build: (i: number) => { body: string; headers: Record<string, string> };
  /** POST (the default), or GET with no body. */
  method?: 'GET' | 'POST';
  /** Checks a response; false counts as a failure. */
  check?: (status: number, body: string) => boolean;
}): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const url = new URL(options.url);
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      for (let i = next++; i < options.requests; i = next++) {
        const { body, headers } = options.build(i);
        const t = performance.now();
        const { status, text } = await send(agent, url, options.method ?? 'POST', body, headers);
        latencies.push(performance.now() - t);
        if (options.check && !options.check(status, text)) failures++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: options.requests,
    seconds,
    perSecond: options.requests / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    failures,
  };
}

function send(
  agent: Agent,
  url: URL,
  method: 'GET' | 'POST',
  body: string,
  headers: Record<string, string>,
) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const length = method === 'POST' ? { 'content-length': Buffer.byteLength(body) } : {};
    const req = request(url, { method, agent, headers: { ...length, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(method === 'POST' ? body : undefined);
  });
}
