import { defineConfig } from 'vitest/config';

/**
 * Every test runs on the embedded database (PGlite). When TEST_POSTGRES_URL is set, the tests that touch a
 * database run a second time on PostgreSQL: `test/helpers/database.ts` reads TEST_DATABASE to choose.
 */
const PURE_TESTS = [
  'test/domain/**',
  'test/cli/script.test.ts',
  'test/cli/classify.test.ts',
  'test/config.test.ts',
  'test/i18n.test.ts',
  'test/logger.test.ts',
  'test/server/server.test.ts',
  'test/db/database-url.test.ts',
  'test/services/data-keys.test.ts',
  'test/services/data-protection.test.ts',
];
/** These cover both databases within one run (the stand-in, migrations) or only the embedded one. */
const RUN_ONCE_TESTS = [
  'test/db/stand-in.test.ts',
  'test/db/migrate.test.ts',
  'test/db/embedded-owner.test.ts',
  'test/db/pglite-socket.test.ts',
  // Starts the real process on the embedded database, as `npm start` does.
  'test/main.test.ts',
];

export default defineConfig({
  test: {
    // Two cores: two workers. Each database-backed file migrates its own database.
    maxWorkers: 2,
    // Files share a worker's module graph instead of importing grammY, Prisma and PGlite afresh each time:
    // the suite takes about two thirds of the time. This holds because no test mocks a module or stubs a
    // global, and every file opens (and closes) databases and bots of its own.
    isolate: false,
    testTimeout: 20_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true as const,
        test: { name: 'pglite', include: ['test/**/*.test.ts'], env: { TEST_DATABASE: 'pglite' } },
      },
      ...(process.env.TEST_POSTGRES_URL
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres',
                include: ['test/**/*.test.ts'],
                exclude: [...PURE_TESTS, ...RUN_ONCE_TESTS],
                env: { TEST_DATABASE: 'postgres' },
              },
            },
          ]
        : []),
    ],
  },
});
