// Entry point of `pnpm accord <command>`. As in main.ts, the compile cache is switched on before
// the commands (and everything they import) are loaded.
import { enableCompileCache } from 'node:module';

enableCompileCache();
await import('./cli-commands.ts');
