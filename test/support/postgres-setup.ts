// Setup file of the integration-pg project: the PostgreSQL databases a test file created are
// dropped when the file ends (after its own afterAll hooks: vitest runs them in reverse order).
import { afterAll } from 'vitest';
import { dropTestDatabases } from './server-process.ts';

afterAll(dropTestDatabases);
