import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createPgliteDirectory } from './support/database.ts';
import { spawnServer } from './support/process.ts';
import { TEST_ADMIN_KEY } from './support/server.ts';

describe('SIGTERM', () => {
  it('finishes in-flight requests, closes sockets and the database, and exits 0', async () => {
    const storage = await createPgliteDirectory();
    try {
      const server = await spawnServer({ ...storage.env, BOOTSTRAP_ADMIN_KEY: TEST_ADMIN_KEY });
      expect(existsSync(`${storage.env.DATA_DIR}.lock`)).toBe(true);

      // An open graphql-ws socket...
      const socket = new WebSocket(server.graphqlUrl.replace('http', 'ws'), 'graphql-transport-ws');
      await new Promise((resolve) => socket.once('open', resolve));
      const socketClosed = new Promise<number>((resolve) =>
        socket.once('close', (code) => resolve(code)),
      );

      // ...and a request whose body is still arriving when the signal comes.
      const body = JSON.stringify({ query: '{ plans { key } }' });
      const answer = new Promise<{ status?: number; text: string }>((resolve, reject) => {
        const req = request(
          server.graphqlUrl,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            },
          },
          (res) => {
            let text = '';
            res.on('data', (chunk) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode, text }));
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, 10));
        setTimeout(() => {
          server.child.kill('SIGTERM');
          setTimeout(() => req.end(body.slice(10)), 300);
        }, 200);
      });

      const finished = await answer;
      expect(finished.status).toBe(200);
      expect(JSON.parse(finished.text).data.plans).toHaveLength(4);
      expect(await socketClosed).toBe(1001);
      expect(await server.exited).toBe(0);
      // The database was closed and the data directory handed back.
      expect(existsSync(`${storage.env.DATA_DIR}.lock`)).toBe(false);
      expect(server.output()).not.toContain(TEST_ADMIN_KEY);
    } finally {
      await storage.drop();
    }
  });
});
