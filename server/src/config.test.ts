import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactUrl } from './config.ts';

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
  it('stores in the SQLite file unless DATABASE_URL names a PostgreSQL database', () => {
    expect(loadConfig({}, [])).toMatchObject({ databaseUrl: undefined, redisUrl: undefined });
    const url = 'postgres://accord:secret@db.internal:5432/accord';
    expect(loadConfig({ DATABASE_URL: url }, []).databaseUrl).toBe(url);
    expect(loadConfig({ DATABASE_URL: 'postgresql:///accord?host=/var/run/postgresql' }, []).databaseUrl).toBeDefined();
    expect(loadConfig({ DATABASE_URL: url, REDIS_URL: 'redis://127.0.0.1:6379' }, []).redisUrl).toBe('redis://127.0.0.1:6379');
  });
  it('refuses a DATABASE_URL or REDIS_URL it cannot use, in one sentence, without echoing a password', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root:pw@localhost/accord' }, [])).toThrow(
      new ConfigError(
        'Invalid DATABASE_URL: only PostgreSQL is supported (postgres://…), not mysql; leave it unset for the SQLite file in DATA_DIR.',
      ),
    );
    expect(() => loadConfig({ DATABASE_URL: 'localhost:5432' }, [])).toThrow(/Invalid DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u:pw@localhost' }, [])).toThrow(/Invalid DATABASE_URL: it names no database/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u:pw@localhost' }, [])).not.toThrow(/pw/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://localhost/a', REDIS_URL: 'http://localhost' }, [])).toThrow(/Invalid REDIS_URL/);
  });
  it('refuses REDIS_URL on SQLite: one SQLite file cannot be shared by several instances', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }, [])).toThrow(
      /one SQLite file cannot be shared by several instances; set DATABASE_URL/,
    );
  });
  it('names a database URL without its password', () => {
    expect(redactUrl('postgres://accord:secret@db:5432/accord')).toBe('postgres://accord:***@db:5432/accord');
    expect(redactUrl('postgres://db/accord')).toBe('postgres://db/accord');
  });
});
