import { Prisma, type PrismaClient } from '../../src/generated/prisma/client.ts';

/**
 * A digest of every row of every table, by table, in one statement: what `readEveryTable` compares, at a
 * fraction of its cost, for checks run before and after hundreds of generated requests. The digest is a sum
 * of the rows' hashes, so the order rows come back in does not matter, while any change to any column does.
 * Typed by `Prisma.ModelName`: a model added to the schema is covered without a line here.
 *
 * `ignore` names columns left out (`{ AdminToken: ['lastUsedAt'] }`: authenticating a request records that,
 * whatever becomes of its body).
 *
 * @example
 * const before = await digestEveryTable(app.prisma);
 * await post(refusedBody);
 * expect(await digestEveryTable(app.prisma)).toEqual(before);
 */
export async function digestEveryTable(
  prisma: PrismaClient,
  ignore: Partial<Record<Prisma.ModelName, readonly string[]>> = {},
): Promise<Record<string, string>> {
  const parts = Object.values(Prisma.ModelName).map((model) => {
    const columns = ignore[model] ?? [];
    const row =
      columns.length === 0
        ? 't::text'
        : `(to_jsonb(t)${columns.map((column) => ` - '${column.replaceAll("'", "''")}'`).join('')})::text`;
    // A sum of the rows' hashes: the same rows in any order give the same digest, one hash per row.
    return Prisma.raw(
      `SELECT '${model}' AS model, count(*)::int AS count,
        coalesce(sum(('x' || substr(md5(${row}), 1, 15))::bit(60)::bigint), 0)::text AS digest
      FROM "${model}" t`,
    );
  });
  const rows = await prisma.$queryRaw<Array<{ model: string; count: number; digest: string }>>(
    Prisma.join(parts, ' UNION ALL '),
  );
  return Object.fromEntries(rows.map((row) => [row.model, `${row.count}:${row.digest}`]));
}
