import type { SqlDriverAdapter, SqlDriverAdapterFactory, Transaction } from '@prisma/driver-adapter-utils';

/**
 * What runs a statement on a driver adapter: its queries and scripts, its transactions' queries, and the start
 * of a transaction (its BEGIN). `commit()` and `rollback()` are not here: they only release the connection,
 * Prisma has sent COMMIT or ROLLBACK as a query already.
 */
const STATEMENT_METHODS = new Set<PropertyKey>([
  'queryRaw',
  'executeRaw',
  'executeScript',
  'startTransaction',
]);

/**
 * The adapters `factory` connects, with `around` wrapped about every statement they run (see
 * STATEMENT_METHODS), their transactions' included: one place for what watches statements (counting them,
 * renewing stale prepared ones).
 *
 * @example
 * const counted = aroundStatements(factory, (run) => { count += 1; return run(); });
 */
export function aroundStatements(
  factory: SqlDriverAdapterFactory,
  around: <T>(run: () => Promise<T>) => Promise<T>,
): SqlDriverAdapterFactory {
  const wrapped = <T extends SqlDriverAdapter | Transaction>(target: T): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        if (!STATEMENT_METHODS.has(property)) return value.bind(object);
        if (property === 'startTransaction') {
          return async (...args: unknown[]) =>
            wrapped(await around(() => value.apply(object, args) as Promise<Transaction>));
        }
        return (...args: unknown[]) => around(() => value.apply(object, args) as Promise<unknown>);
      },
    });
  return new Proxy(factory, {
    get(object, property, receiver) {
      if (property !== 'connect') return Reflect.get(object, property, receiver);
      return async () => wrapped(await factory.connect());
    },
  });
}
