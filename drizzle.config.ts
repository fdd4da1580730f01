import { defineConfig } from 'drizzle-kit';

// Migrations are generated offline from the table definitions and checked in; the server
// applies them at start (src/db/migrate.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './drizzle',
});
