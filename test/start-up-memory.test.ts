import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { releaseStartUpMemory, type TStartUpRelease } from '../src/start-up-memory.ts';

const MB = 1024 * 1024;
const UNDER_TSX = fileURLToPath(new URL('./fixtures/start-up-memory/release-under-tsx.ts', import.meta.url));

describe('releaseStartUpMemory', () => {
  it("gives back the heap that start-up's one-off work left behind", async () => {
    // What start-up does once: builds a lot that survives a while (so it reaches the old space), then drops it.
    let startUpWork: Array<{ index: number; label: string }> | undefined = Array.from(
      { length: 600_000 },
      (_, index) => ({ index, label: `entry ${index}` }),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(startUpWork.length).toBe(600_000);
    startUpWork = undefined;
    const before = process.memoryUsage().heapTotal;

    const released = await releaseStartUpMemory();

    const after = process.memoryUsage().heapTotal;
    expect(before - after).toBeGreaterThan(20 * MB);
    expect(released.mainThread.heapBefore - released.mainThread.heapAfter).toBeGreaterThan(20 * MB);
  });

  it('leaves no inspector session behind: it can run again', async () => {
    await releaseStartUpMemory();
    await expect(releaseStartUpMemory()).resolves.toMatchObject({ mainThread: expect.any(Object) });
  });

  it('without tsx (as under vitest) reports no hooks thread and starts none', async () => {
    const threads = () => readdirSync('/proc/self/task').length;
    const before = threads();

    const released = await releaseStartUpMemory();

    expect(released.hooksThread).toBeUndefined();
    expect(threads()).toBe(before);
  });

  it("under tsx, as npm start runs the bot, gives back what loading the bot's modules left in tsx's thread", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', UNDER_TSX], {
      timeout: 30_000,
    });
    const released = JSON.parse(stdout) as TStartUpRelease;

    expect(released.hooksThread).toBeDefined();
    const { heapBefore, heapAfter } = released.hooksThread ?? { heapBefore: 0, heapAfter: 0 };
    // Loading the bot leaves that thread's heap at about 28 MB, of which about 17 come back.
    expect(heapBefore - heapAfter).toBeGreaterThan(8 * MB);
  }, 40_000);
});
