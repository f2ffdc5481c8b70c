import {
  isDriverAdapterError,
  type SqlDriverAdapterFactory,
  type SqlQuery,
} from '@prisma/driver-adapter-utils';
import { aroundStatements } from './around-statements.ts';

/**
 * How many statements one connection keeps prepared. The hot path has a handful; Prisma writes a new text
 * for each length of an `IN (…)` list, so the rest run unnamed once the names run out.
 */
const MAX_NAMED_STATEMENTS = 100;

/** `*` as a column list (`SELECT *`, `RETURNING *`, `t.*`), not `count(*)`. */
const STAR_COLUMNS = /\*\s*(?:,|FROM\b|$)|\.\*/i;

export type TStatementNamer = {
  /** The statement's name, or undefined to run it unnamed (adapter-pg's `statementNameGenerator`). */
  name(query: SqlQuery): string;
  /** Names from now on are new ones, so every statement is prepared afresh. */
  renew(): void;
};

/**
 * Names the statements this process runs, so each connection parses and plans a statement once and then
 * only binds it: planning the per-update read was most of its cost. A statement with `*` for its columns
 * stays unnamed: a prepared `SELECT *` fails once a migration adds a column under a running instance
 * ("cached plan must not change result type"); explicit column lists do not.
 *
 * @example
 * const namer = createStatementNamer();
 * new PrismaPg(pool, { statementNameGenerator: namer.name });
 */
export function createStatementNamer(maxNames = MAX_NAMED_STATEMENTS): TStatementNamer {
  let generation = 1;
  const names = new Map<string, string>();
  return {
    name({ sql, args }) {
      const known = names.get(sql);
      if (known !== undefined) return known;
      // Without arguments (BEGIN, COMMIT) the simple protocol's one message is cheaper than a prepared one.
      if (args.length === 0 || names.size >= maxNames || STAR_COLUMNS.test(sql)) {
        return undefined as unknown as string;
      }
      const name = `bridgeline_${generation}_${names.size + 1}`;
      names.set(sql, name);
      return name;
    },
    renew() {
      generation += 1;
      names.clear();
    },
  };
}

/**
 * True for the errors a prepared statement gives once it no longer fits the database: a migration changed a
 * column it returns ("cached plan must not change result type"), or the backend dropped it (DISCARD ALL).
 */
export function isStalePreparedStatement(error: unknown): boolean {
  if (!(error instanceof Error) || !isDriverAdapterError(error)) return false;
  const cause = error.cause as { originalCode?: unknown; originalMessage?: unknown };
  if (cause.originalCode === '26000') return true;
  return (
    cause.originalCode === '0A000' &&
    typeof cause.originalMessage === 'string' &&
    cause.originalMessage.includes('cached plan must not change result type')
  );
}

/**
 * The adapter `build` makes with the namer's names, renewing them after a stale statement's error: that
 * statement (and its transaction) fails once, the next run prepares it again. Without this, a migration
 * changing a column's type under a running instance would fail the statement on every update until a restart.
 *
 * @example
 * const adapter = withPreparedStatements((name) => new PrismaPg(pool, { statementNameGenerator: name }));
 */
export function withPreparedStatements(
  build: (name: TStatementNamer['name']) => SqlDriverAdapterFactory,
  namer: TStatementNamer = createStatementNamer(),
): SqlDriverAdapterFactory {
  return aroundStatements(build(namer.name), async (run) => {
    try {
      return await run();
    } catch (error) {
      if (isStalePreparedStatement(error)) namer.renew();
      throw error;
    }
  });
}
