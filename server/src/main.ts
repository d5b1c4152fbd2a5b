// Entry point of `pnpm serve`: one process serving the web app, the API and the sync endpoint.
// Node strips and compiles the TypeScript sources on every start; with its compile cache (in the
// system temp directory, keyed by file contents and Node version) a restart skips that work and
// listens in about half the time. The server itself is loaded only after the cache is on.
import { enableCompileCache } from 'node:module';

enableCompileCache();
await import('./run-server.ts');
