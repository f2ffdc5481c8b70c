import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScriptRegistry, readDefaultScript } from '../../src/services/script-registry.ts';
import {
  installShippedScript,
  publishScriptVersion,
  pushScriptDraft,
} from '../../src/services/script-versions.ts';
import { createTestDatabase, describeDatabase, type TTestDatabase } from '../helpers/database.ts';

/** What each start does with the shipped script file: never undo an admin's choice. */
let database: TTestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

const SHIPPED = readDefaultScript();
const NOW = new Date('2030-01-01T00:00:00Z');

describe(describeDatabase('installing the shipped script at start'), () => {
  it('publishes it on a fresh database, keeps what an admin published later, stores a newer file as a draft', async () => {
    const prisma = database.db.prisma;
    const scripts = createScriptRegistry(prisma);
    const install = (source: string) =>
      installShippedScript({ prisma }, { source, now: NOW, published: (id) => scripts.latest(id) });

    expect(await install(SHIPPED)).toMatchObject({ file: 'published', script: { version: 5 } });
    expect(await install(SHIPPED)).toMatchObject({ file: 'kept', script: { version: 5 } });

    // An admin publishes their own version 6; the next deploy ships a different version 6 and a version 7.
    const admins = SHIPPED.replace('version: 5', 'version: 6').replace('on edge?', 'on edge lately?');
    await pushScriptDraft({ prisma }, { source: admins, actor: 'admin', now: NOW });
    await publishScriptVersion({ prisma }, { scriptId: 'default', version: 6, actor: 'admin', now: NOW });
    const shipped7 = SHIPPED.replace('version: 5', 'version: 7');
    expect(await install(shipped7)).toMatchObject({
      file: 'stored-as-draft',
      fileVersion: 7,
      script: { version: 6 },
    });
    const rows = await prisma.scriptVersion.findMany({ orderBy: { version: 'asc' } });
    expect(rows.map((row) => `${row.version}:${row.status}`)).toEqual([
      '5:retired',
      '6:published',
      '7:draft',
    ]);

    // A different text of a draft version is the admin's: left alone.
    const edited = await pushScriptDraft(
      { prisma },
      { source: shipped7.replace('on edge?', 'on edge today?'), actor: 'admin', now: NOW },
    );
    expect(edited.type).toBe('stored');
    expect(await install(shipped7)).toMatchObject({ file: 'draft-differs' });
    const draft = await prisma.scriptVersion.findUniqueOrThrow({
      where: { scriptId_version: { scriptId: 'default', version: 7 } },
    });
    expect(draft.source).toContain('on edge today?');

    // The same version with other text than the one published stops the start.
    await expect(install(SHIPPED.replace('on edge?', 'on edge, really?'))).rejects.toThrow(
      /already published with other text/,
    );
  });
});
