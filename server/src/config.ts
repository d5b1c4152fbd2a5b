import path from 'node:path';
import { z } from 'zod';

/** A start-up problem a person can fix; printed as one sentence, never a stack trace. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const booleanFlag = z.enum(['1', '0', 'true', 'false', 'yes', 'no', '']).transform((v) => v === '1' || v === 'true' || v === 'yes');

const EnvSchema = z.object({
  PORT: z.coerce.number({ error: 'PORT must be a number' }).int().min(0).max(65535, 'PORT must be at most 65535').default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('data'),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  /** Seed the demo workspace with the fixed password `demo` (never for a real deployment). */
  ACCORD_DEMO: booleanFlag.default(false),
  /** Extra origins allowed to call state-changing endpoints and open sockets (comma-separated). */
  ALLOWED_ORIGINS: z.string().default(''),
  /** Trust X-Forwarded-Proto/-For from a reverse proxy (for Secure cookies and client addresses). */
  TRUST_PROXY: booleanFlag.default(false),
  /** The Chromium that renders PDF summaries. */
  CHROMIUM_PATH: z.string().min(1).default('/usr/bin/chromium'),
  /** Seconds a plan with no connection stays in memory. */
  DOC_IDLE_SECONDS: z.coerce.number().int().min(0).default(60),
  /** postgres://user:password@host:port/database: PostgreSQL as the store instead of the SQLite file. */
  DATABASE_URL: z.string().default(''),
  /** redis://host:port: fan-out between several instances (needs DATABASE_URL). */
  REDIS_URL: z.string().default(''),
  /** Seconds an instance's lease on a plan's baseline run lasts unless renewed (a dead instance's run is taken over after it). */
  BASELINE_LEASE_SECONDS: z.coerce.number({ error: 'BASELINE_LEASE_SECONDS must be a number' }).min(1).max(3600).default(15),
});

/** Validated server configuration. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** The SQLite database file (in DATA_DIR), the store when `databaseUrl` is undefined. */
  databaseFile: string;
  /** PostgreSQL connection string (DATABASE_URL): the store instead of the SQLite file. */
  databaseUrl: string | undefined;
  /** Redis connection string (REDIS_URL): fan-out between instances; only with PostgreSQL. */
  redisUrl: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  demo: boolean;
  allowedOrigins: string[];
  trustProxy: boolean;
  docIdleMs: number;
  /** How long an instance's lease on a plan's baseline run lasts unless renewed. */
  baselineLeaseMs: number;
  chromiumPath: string;
  /** `--no-seed`: start without creating the demo workspace on an empty database. */
  seed: boolean;
}

/**
 * Parses the environment and command-line flags; the only place that reads `process.env`.
 * Throws ConfigError with a sentence naming the bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv.slice(2)): Config {
  const result = EnvSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ConfigError(`Invalid ${issue.path.join('.')}: ${issue.message}.`);
  }
  const e = result.data;
  const unknownFlag = argv.find((arg) => !['--demo', '--no-seed'].includes(arg));
  if (unknownFlag) throw new ConfigError(`Unknown option ${unknownFlag}; the server accepts --demo and --no-seed.`);
  const origins = e.ALLOWED_ORIGINS.split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
      throw new ConfigError(`Invalid ALLOWED_ORIGINS entry "${origin}": write it like https://plan.example.com.`);
    }
  }
  const databaseUrl = e.DATABASE_URL.trim() ? parseDatabaseUrl(e.DATABASE_URL.trim()) : undefined;
  const redisUrl = e.REDIS_URL.trim() ? parseRedisUrl(e.REDIS_URL.trim()) : undefined;
  if (redisUrl && !databaseUrl)
    throw new ConfigError(
      'REDIS_URL is set but the store is SQLite: one SQLite file cannot be shared by several instances; set DATABASE_URL to a PostgreSQL database.',
    );
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseFile: path.join(dataDir, 'accord.sqlite'),
    databaseUrl,
    redisUrl,
    logLevel: e.LOG_LEVEL,
    demo: e.ACCORD_DEMO || argv.includes('--demo'),
    allowedOrigins: origins,
    trustProxy: e.TRUST_PROXY,
    docIdleMs: e.DOC_IDLE_SECONDS * 1000,
    baselineLeaseMs: e.BASELINE_LEASE_SECONDS * 1000,
    chromiumPath: e.CHROMIUM_PATH,
    seed: !argv.includes('--no-seed'),
  };
}

/** A connection string as it may appear in a message or a log: the password replaced by `***`. */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return '(unparsable URL)';
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

function parseDatabaseUrl(value: string): string {
  const example = 'write it like postgres://user:password@host:5432/accord';
  if (!URL.canParse(value)) throw new ConfigError(`Invalid DATABASE_URL: it is not a URL; ${example}.`);
  const url = new URL(value);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    throw new ConfigError(
      `Invalid DATABASE_URL: only PostgreSQL is supported (postgres://…), not ${url.protocol.replace(/:$/, '')}; leave it unset for the SQLite file in DATA_DIR.`,
    );
  // A Unix socket is given as ?host=/var/run/postgresql, as libpq and node-postgres read it.
  if (!url.hostname && !url.searchParams.get('host')) throw new ConfigError(`Invalid DATABASE_URL: it names no host; ${example}.`);
  if (url.pathname.length <= 1) throw new ConfigError(`Invalid DATABASE_URL: it names no database; ${example}.`);
  return value;
}

function parseRedisUrl(value: string): string {
  const example = 'write it like redis://host:6379';
  if (!URL.canParse(value)) throw new ConfigError(`Invalid REDIS_URL: it is not a URL; ${example}.`);
  const url = new URL(value);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new ConfigError(
      `Invalid REDIS_URL: the scheme must be redis:// or rediss://, not ${url.protocol.replace(/:$/, '')}; ${example}.`,
    );
  if (!url.hostname) throw new ConfigError(`Invalid REDIS_URL: it names no host; ${example}.`);
  return value;
}
