import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { aroundStatements } from './around-statements.ts';

/**
 * Counts the SQL statements a driver adapter runs (queries, a transaction's BEGIN, and the COMMIT or
 * ROLLBACK Prisma sends as a query): statements per update is a cost the project measures and keeps down.
 *
 * @example
 * const counted = countStatements(new PrismaPg({ connectionString }));
 * const prisma = new PrismaClient({ adapter: counted.factory });
 * counted.count(); // 0, then growing
 */
export function countStatements(factory: SqlDriverAdapterFactory): {
  factory: SqlDriverAdapterFactory;
  count: () => number;
} {
  let statements = 0;
  return {
    factory: aroundStatements(factory, (run) => {
      statements += 1;
      return run();
    }),
    count: () => statements,
  };
}
