// Entry point of `pnpm serve`: one process serving the web app, the API and the sync endpoint.
// The server itself is loaded only once the compile cache is on (compile-cache.ts).
import { enableSourceCache } from './compile-cache.ts';

enableSourceCache();
await import('./run-server.ts');
