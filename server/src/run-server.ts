import { ConfigError, loadConfig } from './config.ts';
import { startServer } from './server.ts';

// Starts the server (loaded by main.ts once the compile cache is on) and stops it on SIGINT/SIGTERM.
try {
  const config = loadConfig();
  const running = await startServer(config);
  console.error(`Accord is running at ${running.url}  (Ctrl-C to stop)`);
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) {
      console.error('Stopping immediately.');
      process.exit(1);
    }
    console.error(`\n${signal}: storing open plans and shutting down…`);
    running.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error('Shutdown failed:', e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (e: unknown) {
  if (e instanceof ConfigError) {
    console.error(`accord: ${e.message}`);
    process.exit(2);
  }
  throw e;
}
