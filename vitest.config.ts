import { defineConfig } from 'vitest/config';

// Six projects: fast unit tests beside the code, integration tests against a real server
// process (twice: on SQLite and on PostgreSQL), fault tests (crashes, malformed input), cluster
// tests (three instances behind nginx) and browser tests in Chromium. Sized for a 2-core machine: integration files run two
// at a time, browser files one at a time.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          // Generous: the machine is shared and property tests run thousands of cases.
          testTimeout: 20_000,
          include: ['packages/*/src/**/*.test.ts', 'server/src/**/*.test.ts', 'web/src/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Tests that choose PostgreSQL themselves (several instances) run in this pass too.
          setupFiles: ['test/support/postgres-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          maxWorkers: 2,
        },
      },
      {
        // The integration folder again, each server on a fresh PostgreSQL database of its own
        // (test/support/server-process.ts); SQLite-only tests say so and check PostgreSQL's
        // answer instead. Needs PostgreSQL on 127.0.0.1:5432 (./run test makes sure of it).
        test: {
          name: 'integration-pg',
          include: ['test/integration/**/*.test.ts'],
          env: { ACCORD_TEST_STORE: 'postgres' },
          setupFiles: ['test/support/postgres-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'fault',
          include: ['test/fault/**/*.test.ts'],
          exclude: ['test/fault/cluster-*.test.ts'],
          setupFiles: ['test/support/postgres-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        // Several instances (#19): the cluster tests, and the authorization matrix and the frame
        // fuzz run again, unchanged, against three instances on one PostgreSQL database behind
        // nginx (a plain startServer() starts that cluster: test/support/cluster.ts). Needs
        // PostgreSQL, Redis and nginx (./run test makes sure of them).
        test: {
          name: 'cluster',
          include: ['test/fault/cluster-*.test.ts', 'test/integration/permissions.test.ts', 'test/fault/frame-fuzz.test.ts'],
          env: { ACCORD_TEST_STORE: 'postgres', ACCORD_TEST_CLUSTER: '3' },
          setupFiles: ['test/support/postgres-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          setupFiles: ['test/support/postgres-setup.ts'],
          testTimeout: 90_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
