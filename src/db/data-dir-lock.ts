import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';

/**
 * PGlite keeps its data in a plain folder with no lock of its own: two processes opening it at
 * once corrupt it. A lock file holding the owner's pid makes the second one fail with a message
 * that says what to do instead. A lock left by a process that died is taken over.
 */
export interface DataDirLock {
  release(): Promise<void>;
}

export class DataDirInUseError extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `The data directory ${dataDir} is in use by another process (pid ${pid}), usually the running ` +
        'server. Stop it first, or run against a Postgres server (DATABASE_URL), where several ' +
        'processes can share the database.',
    );
    this.name = 'DataDirInUseError';
  }
}

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const absolute = resolve(dataDir);
  await mkdir(absolute, { recursive: true });
  // The lock lives beside the data, not inside it: PGlite owns the folder's contents.
  const lockPath = `${absolute}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return {
        async release() {
          await rm(lockPath, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(owner) && isAlive(owner)) {
        throw new DataDirInUseError(dataDir, owner);
      }
      await rm(lockPath, { force: true });
    }
  }
  throw new Error(`could not lock the data directory ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
