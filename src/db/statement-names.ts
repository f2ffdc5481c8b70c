import type { SqlQuery } from '@prisma/driver-adapter-utils';

/**
 * How many statements one connection keeps prepared. The hot path has a handful; Prisma writes a new text
 * for each length of an `IN (…)` list, so the rest run unnamed once the names run out.
 */
const MAX_NAMED_STATEMENTS = 100;

/** `*` as a column list (`SELECT *`, `RETURNING *`, `t.*`), not `count(*)`. */
const STAR_COLUMNS = /\*\s*(?:,|FROM\b|$)|\.\*/i;

/**
 * Names the statements this process runs, so each connection parses and plans a statement once and then
 * only binds it: planning the per-update read was most of its cost. A statement with `*` for its columns stays unnamed:
 * a prepared `SELECT *` fails once a migration adds a column under a running instance ("cached plan must not
 * change result type"); explicit column lists do not.
 *
 * @example
 * new PrismaPg(pool, { statementNameGenerator: createStatementNamer() });
 */
export function createStatementNamer(maxNames = MAX_NAMED_STATEMENTS): (query: SqlQuery) => string {
  const names = new Map<string, string>();
  return ({ sql, args }) => {
    const known = names.get(sql);
    if (known !== undefined) return known;
    // Without arguments (BEGIN, COMMIT) the simple protocol's one message is cheaper than a prepared one.
    if (args.length === 0 || names.size >= maxNames || STAR_COLUMNS.test(sql)) {
      return undefined as unknown as string;
    }
    const name = `bridgeline_${names.size + 1}`;
    names.set(sql, name);
    return name;
  };
}
