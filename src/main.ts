import { buildApp } from './app.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { DataDirInUseError } from './db/data-dir-lock.ts';

/** `npm start`: the server process. */
async function main(): Promise<void> {
  let config: Readonly<Config>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const app = buildApp(config);

  // Handlers first: a signal during start-up still closes the database and frees the data dir.
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    stopping ??= (async () => {
      app.log.info({ signal }, 'shutting down');
      try {
        await starting.catch(() => {});
        await app.stop();
        process.exit(0);
      } catch (error) {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      }
    })();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  const starting = app.start();
  let started: Awaited<typeof starting>;
  try {
    started = await starting;
  } catch (error) {
    if (error instanceof DataDirInUseError) process.stderr.write(`${error.message}\n`);
    else app.log.fatal({ err: error }, 'start failed');
    await app.stop().catch(() => {});
    process.exit(1);
  }
  if (stopping) return;

  if (started.generatedAdminKey) {
    // The one deliberate disclosure of a secret: straight to the terminal, never to the log.
    process.stdout.write(
      [
        '',
        '  An ADMIN API key was created for this new database. It is shown once; keep it safe:',
        '',
        `      ${started.generatedAdminKey}`,
        '',
        '',
      ].join('\n'),
    );
  }
  const graphiql = config.server.env === 'development' ? ' (GraphiQL in the browser)' : '';
  process.stdout.write(`  GraphQL: ${started.graphqlUrl}${graphiql}\n\n`);
}

await main();
