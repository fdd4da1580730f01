// `npm run dashboard:build` → dist/, which the billing server serves at /dashboard.
// `npm run dashboard:dev` serves the page with hot reload and passes /graphql (HTTP and
// WebSocket) to the billing server at BILLING_URL (default http://127.0.0.1:4000).
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/dashboard/',
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: {
      '/graphql': { target: process.env.BILLING_URL ?? 'http://127.0.0.1:4000', ws: true },
    },
  },
});
