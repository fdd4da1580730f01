import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { sleep } from './graphql.ts';
import { freePort } from './ports.ts';

/**
 * A redis-server of the test's own, on a port of its own, that the test stops and starts again
 * (same port) to play an outage. Nothing is persisted. Never the machine's shared Redis.
 */
export interface TestRedis {
  port: number;
  url: string;
  /** Starts it (again) on the same port; resolves once it answers PING. */
  start(): Promise<void>;
  /** Kills it (SIGKILL: an outage, not a goodbye) and waits for the process to end. */
  stop(): Promise<void>;
}

/** The redis-server binary: on PATH unless REDIS_SERVER_BIN names another. */
const REDIS_SERVER = process.env.REDIS_SERVER_BIN || 'redis-server';

/** A Redis on a free port, not started yet (`start()` it, or test a server started without it). */
export async function createTestRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child) return;
      const started = spawn(
        REDIS_SERVER,
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      child = started;
      exited = new Promise((resolve) => started.once('exit', () => resolve()));
      await waitForPong(port, 10_000);
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      running.kill('SIGKILL');
      await Promise.race([exited, sleep(5_000)]);
    },
  };
}

/** Resolves once Redis on `port` answers PING; throws after `timeoutMs`. */
async function waitForPong(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ping(port)) return;
    await sleep(50);
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
