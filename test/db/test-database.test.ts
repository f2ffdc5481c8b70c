import { describe, expect, it } from 'vitest';
import { createTestDatabase, describeDatabase, testDatabaseKind } from '../helpers/database.ts';

describe(describeDatabase('createTestDatabase'), () => {
  it('gives every call a migrated database of its own, in well under two seconds', async () => {
    // The first call may build the template (once per set of migrations); later ones copy it.
    await (await createTestDatabase()).close();
    const started = performance.now();
    const first = await createTestDatabase();
    const second = await createTestDatabase();
    const perDatabase = (performance.now() - started) / 2;
    try {
      expect(first.kind).toBe(testDatabaseKind);
      expect(first.db.kind).toBe(testDatabaseKind);
      await first.db.prisma.resident.create({ data: { id: 'only-in-first' } });
      expect(await first.db.prisma.resident.count()).toBe(1);
      expect(await second.db.prisma.resident.count()).toBe(0);
      expect(perDatabase).toBeLessThan(2000);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
