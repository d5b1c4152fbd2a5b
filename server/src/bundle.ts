// Builds the server for `pnpm serve` (run by `pnpm build`): one ES module with the server, the
// workspace packages and the pure-JavaScript dependencies (dist/accord.mjs), and one per worker
// thread beside it. Why: from source, a start loads ~700 ES modules (Kysely alone is 257 files),
// which took ~0.75 s of the ~1.3 s from a crash to listening again; the bundle is one file.
// The source stays runnable as it is (`node src/main.ts`, tests, `pnpm dev`): the bundle is a
// faster way to start the same code, not a different program.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist');

// Left to Node's resolution at run time: native addons, optional add-ons of ws, and what is loaded
// only when used (the PostgreSQL driver, Redis, spreadsheets, the PDF's Chromium driver) or does
// its own file-relative loading (pino's transports).
const external = [
  'better-sqlite3',
  '@node-rs/argon2',
  'bufferutil',
  'utf-8-validate',
  'pg',
  '@redis/client',
  'exceljs',
  'playwright-core',
  'pino',
];

fs.rmSync(outdir, { recursive: true, force: true });
const started = performance.now();
await build({
  entryPoints: {
    accord: path.join(root, 'src/main.ts'),
    'compaction-worker': path.join(root, 'src/sync/compaction-worker.ts'),
    'checkpoint-worker': path.join(root, 'src/db/checkpoint-worker.ts'),
    'forecast-worker': path.join(root, 'src/forecasting/forecast-worker.ts'),
  },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22.12',
  external,
  sourcemap: 'linked',
  legalComments: 'linked',
  // Modules that still use require() (bundled CommonJS) get one from the bundle's own location.
  banner: { js: "import { createRequire as __accordRequire } from 'node:module'; const require = __accordRequire(import.meta.url);" },
  logLevel: 'warning',
});
console.error(`server bundle written to ${path.relative(process.cwd(), outdir)} in ${Math.round(performance.now() - started)} ms`);
