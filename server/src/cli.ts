// Entry point of `pnpm accord <command>`. As in main.ts, the compile cache is switched on before
// the commands (and everything they import) are loaded.
import { enableSourceCache } from './compile-cache.ts';

enableSourceCache();
await import('./cli-commands.ts');
