// Setup file of every project that starts servers: the PostgreSQL databases a test file created
// (all of them in the integration-pg pass, those of tests that ask for PostgreSQL elsewhere) are
// dropped when the file ends, after its own afterAll hooks (vitest runs them in reverse order).
import { afterAll } from 'vitest';
import { dropTestDatabases } from './server-process.ts';

afterAll(dropTestDatabases);
