import type { SqlDriverAdapter, SqlDriverAdapterFactory, Transaction } from '@prisma/driver-adapter-utils';

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
  const counting = <T extends object>(target: T, methods: readonly string[]): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        if (!methods.includes(String(property))) return value.bind(object);
        return (...args: unknown[]) => {
          statements += 1;
          return value.apply(object, args);
        };
      },
    });
  // `commit()` and `rollback()` only release the connection: Prisma has sent COMMIT or ROLLBACK already.
  const countedTransaction = (transaction: Transaction) => counting(transaction, ['queryRaw', 'executeRaw']);
  const countedAdapter = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    const counted = counting(adapter, ['queryRaw', 'executeRaw', 'executeScript']);
    return new Proxy(counted, {
      get(object, property, receiver) {
        if (property !== 'startTransaction') return Reflect.get(object, property, receiver);
        return async (...args: Parameters<SqlDriverAdapter['startTransaction']>) => {
          statements += 1;
          return countedTransaction(await adapter.startTransaction(...args));
        };
      },
    });
  };
  return {
    factory: new Proxy(factory, {
      get(object, property, receiver) {
        if (property !== 'connect') return Reflect.get(object, property, receiver);
        return async () => countedAdapter(await factory.connect());
      },
    }),
    count: () => statements,
  };
}
