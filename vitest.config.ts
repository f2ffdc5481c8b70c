import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

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
  'test/reach-telegram.test.ts',
  'test/telegram-fetch.test.ts',
  'test/server/server.test.ts',
  'test/db/database-url.test.ts',
  'test/services/data-keys.test.ts',
  'test/services/data-protection.test.ts',
  'test/bench/options.test.ts',
  'test/helpers/start-command.test.ts',
  'test/start-up-memory.test.ts',
  'test/server/body-limit.test.ts',
];
/** These cover both databases within one run (the stand-in, migrations) or only the embedded one. */
const RUN_ONCE_TESTS = [
  'test/db/stand-in.test.ts',
  'test/db/migrate.test.ts',
  'test/db/connection-failure.test.ts',
  'test/db/embedded-owner.test.ts',
  'test/db/pglite-socket.test.ts',
  // Opens PGlites of its own: the embedded database's session, link and socket.
  'test/db/pglite-session.test.ts',
  // Starts the bot on PostgreSQL itself, whichever database the project runs on.
  'test/db/pglite-modules.test.ts',
  // Starts the real process on the embedded database, as `npm start` does.
  'test/main.test.ts',
  // The dashboard in Chromium: what it shows does not depend on the database.
  'test/browser/dashboard.browser.test.ts',
];

/** Files that spawn processes (the Prisma CLI, the bot, database owners) and take longest. */
const SLOW_FILES = [
  // First, so that installing Chromium on a fresh machine overlaps the other worker's tests.
  'test/browser/dashboard.browser.test.ts',
  'test/db/stand-in.test.ts',
  'test/db/embedded-owner.test.ts',
  'test/main.test.ts',
  'test/db/migrate.test.ts',
];

/**
 * Vitest's order, with the slow files first: on a fresh clone it has no timings yet and would start them last
 * (it runs larger files first), leaving one worker busy with them after the other has finished.
 */
class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isSlow = (file: TestSpecification) => SLOW_FILES.some((slow) => file.moduleId.endsWith(slow));
    return [...sorted.filter(isSlow), ...sorted.filter((file) => !isSlow(file))];
  }
}

export default defineConfig({
  test: {
    // Two cores: two workers. Each database-backed file migrates its own database.
    maxWorkers: 2,
    // Files share a worker's module graph instead of importing grammY, Prisma and PGlite afresh each time:
    // the suite takes about two thirds of the time. This holds because no test mocks a module or stubs a
    // global, and every file opens (and closes) databases and bots of its own.
    isolate: false,
    sequence: { sequencer: SlowFirstSequencer },
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
