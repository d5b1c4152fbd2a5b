import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('config', () => {
  it('defaults to port 3000 on loopback with ./data', () => {
    const config = loadConfig({}, []);
    expect(config).toMatchObject({ port: 3000, host: '127.0.0.1', dataDir: path.resolve('data'), demo: false, seed: true });
  });
  it('reads PORT, HOST, DATA_DIR and the demo flag', () => {
    const config = loadConfig({ PORT: '8080', HOST: '0.0.0.0', DATA_DIR: '/srv/accord', ACCORD_DEMO: 'true' }, []);
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', databaseFile: '/srv/accord/accord.sqlite', demo: true });
    expect(loadConfig({}, ['--demo']).demo).toBe(true);
  });
  it('names the variable in one sentence when a value is bad', () => {
    expect(() => loadConfig({ PORT: 'abc' }, [])).toThrow(new ConfigError('Invalid PORT: PORT must be a number.'));
    expect(() => loadConfig({ PORT: '70000' }, [])).toThrow(/Invalid PORT: PORT must be at most 65535/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' }, [])).toThrow(/Invalid LOG_LEVEL/);
    expect(() => loadConfig({ ALLOWED_ORIGINS: 'example.com' }, [])).toThrow(/ALLOWED_ORIGINS/);
    expect(() => loadConfig({}, ['--dmeo'])).toThrow(/Unknown option --dmeo/);
  });
});
