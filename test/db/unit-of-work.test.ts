import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionStorage } from '../../src/db/session-storage.ts';
import {
  currentClient,
  currentUnitOfWork,
  handleUpdateOnce,
  runUnitOfWork,
} from '../../src/db/unit-of-work.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import { parseDataKeys } from '../../src/services/data-keys.ts';
import { createDataProtector } from '../../src/services/data-protection.ts';
import { TEST_DATA_KEY } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';

const protector = createDataProtector(parseDataKeys(TEST_DATA_KEY));

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let prisma: PrismaClient;
beforeAll(async () => {
  database = await createTestDatabase();
  prisma = database.db.prisma;
});
afterAll(async () => {
  await database.close();
});

describe('handleUpdateOnce', () => {
  it('runs the handler once per update id', async () => {
    let runs = 0;
    const handle = async () => {
      runs += 1;
      await currentClient(prisma).resident.create({ data: { id: `resident-once-${runs}` } });
    };
    expect(await handleUpdateOnce(prisma, { updateId: 901 }, handle)).toBe('handled');
    expect(await handleUpdateOnce(prisma, { updateId: 901 }, handle)).toBe('duplicate');
    expect(runs).toBe(1);
    expect(await prisma.resident.count({ where: { id: { startsWith: 'resident-once-' } } })).toBe(1);
  });

  it('rolls back the effects and the record together when the handler fails, so a retry runs again', async () => {
    const failing = async () => {
      await currentClient(prisma).resident.create({ data: { id: 'resident-rolled-back' } });
      throw new Error('the database went away mid-update');
    };
    await expect(handleUpdateOnce(prisma, { updateId: 902 }, failing)).rejects.toThrow(/went away/);
    expect(await prisma.resident.findUnique({ where: { id: 'resident-rolled-back' } })).toBeNull();
    expect(await prisma.processedUpdate.count({ where: { updateId: 902n } })).toBe(0);

    let retried = false;
    expect(
      await handleUpdateOnce(prisma, { updateId: 902 }, async () => {
        retried = true;
      }),
    ).toBe('handled');
    expect(retried).toBe(true);
  });

  it('lets concurrent deliveries of one update through exactly once', async () => {
    let runs = 0;
    const handle = async () => {
      runs += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const outcomes = await Promise.all(
      [1, 2, 3, 4].map(() => handleUpdateOnce(prisma, { updateId: 903 }, handle)),
    );
    expect(runs).toBe(1);
    expect(outcomes.filter((outcome) => outcome === 'handled')).toHaveLength(1);
  });

  it('runs the updates of one chat one after another, whatever instance takes them', async () => {
    // A read-then-write that two overlapping updates of one resident would both base on the same state
    // (both finding no open case, say): with turns taken, each sees the other's write.
    await prisma.resident.create({ data: { id: 'resident-turns', locale: '0' } });
    const increment = async () => {
      const db = currentClient(prisma);
      const row = await db.resident.findUniqueOrThrow({ where: { id: 'resident-turns' } });
      await new Promise((resolve) => setTimeout(resolve, 30));
      await db.resident.update({
        where: { id: 'resident-turns' },
        data: { locale: String(Number(row.locale) + 1) },
      });
    };
    const chatId = 7_001;
    await Promise.all(
      [1904, 1905, 1906, 1907].map((updateId) => handleUpdateOnce(prisma, { updateId, chatId }, increment)),
    );
    const row = await prisma.resident.findUniqueOrThrow({ where: { id: 'resident-turns' } });
    expect(row.locale).toBe('4');
  });

  it('lets the updates of different chats run side by side', async () => {
    const started: number[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = handleUpdateOnce(prisma, { updateId: 1908, chatId: 7_002 }, async () => {
      started.push(1);
      await gate;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (database.kind === 'postgres') {
      // Another chat's update is not held up behind the first (the embedded database runs one at a time).
      await handleUpdateOnce(prisma, { updateId: 1909, chatId: 7_003 }, async () => void started.push(2));
      expect(started).toEqual([1, 2]);
    }
    release();
    await first;
  });

  it('gives repositories the plain client outside an update', () => {
    expect(currentClient(prisma)).toBe(prisma);
  });
});

describe('runUnitOfWork', () => {
  it('runs what must follow the commit only once it has committed, outside the transaction', async () => {
    const seen: string[] = [];
    await runUnitOfWork(prisma, async () => {
      const unit = currentUnitOfWork();
      unit?.beforeCommit(async () => void seen.push('before commit'));
      unit?.afterCommit(
        () => void seen.push(currentUnitOfWork() === undefined ? 'after, outside' : 'after, inside'),
      );
      seen.push('work');
    });
    expect(seen).toEqual(['work', 'before commit', 'after, outside']);
  });

  it('runs nothing after a rollback', async () => {
    let isRun = false;
    await expect(
      runUnitOfWork(prisma, async () => {
        currentUnitOfWork()?.afterCommit(() => {
          isRun = true;
        });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(isRun).toBe(false);
  });
});

describe('createSessionStorage', () => {
  it('reads, writes, overwrites and deletes JSON values by key', async () => {
    const storage = createSessionStorage<{ step: string; answers: number[] }>(prisma, protector);
    expect(await storage.read('chat:1')).toBeUndefined();
    await storage.write('chat:1', { step: 'q1', answers: [] });
    await storage.write('chat:1', { step: 'q2', answers: [3] });
    expect(await storage.read('chat:1')).toEqual({ step: 'q2', answers: [3] });
    await storage.delete('chat:1');
    expect(await storage.read('chat:1')).toBeUndefined();
    await storage.delete('chat:never-written');
  });

  it('seals what it stores: no word of the value is readable in the row', async () => {
    const storage = createSessionStorage<{ said: string }>(prisma, protector);
    await storage.write('chat:3', { said: 'the landlord took everything' });
    const row = await prisma.botSession.findUniqueOrThrow({ where: { key: 'chat:3' } });
    expect(JSON.stringify(row.value)).not.toContain('landlord');
    expect(await storage.read('chat:3')).toEqual({ said: 'the landlord took everything' });
  });

  it('writes inside the update transaction, so a failed update leaves the session as it was', async () => {
    const storage = createSessionStorage<{ step: string }>(prisma, protector);
    await storage.write('chat:2', { step: 'before' });
    await expect(
      handleUpdateOnce(prisma, { updateId: 904 }, async () => {
        await storage.write('chat:2', { step: 'after' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await storage.read('chat:2')).toEqual({ step: 'before' });
  });
});
