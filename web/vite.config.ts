import adapter from '@sveltejs/adapter-static';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// The API server the dev proxy forwards to; the same port `pnpm dev` starts the server on.
const apiTarget = `http://localhost:${process.env.ACCORD_API_PORT ?? 3000}`;

export default defineConfig({
  plugins: [
    // SvelteKit 3 takes its configuration here (svelte.config.js is no longer read and is an error).
    // A pure SPA: the Hono server serves build/ and falls back to index.html for client routes.
    sveltekit({
      adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html' }),
    }),
  ],
  server: {
    // Same-origin in dev too, so session cookies and the server's Origin check behave as in production.
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
      '/sync': { target: apiTarget, ws: true, changeOrigin: false },
    },
  },
});
