/**
 * The URL of a worker thread's script that sits beside the module at `base` (its
 * `import.meta.url`): the `.ts` source when the server runs from source, or the `.mjs` the bundle
 * build wrote beside the bundle (`pnpm build`, server/bundle.ts) when it runs from the bundle.
 */
export function workerUrl(name: string, base: string): URL {
  return new URL(`./${name}${base.endsWith('.mjs') ? '.mjs' : '.ts'}`, base);
}
