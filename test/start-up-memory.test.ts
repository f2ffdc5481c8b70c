import { describe, expect, it } from 'vitest';
import { releaseStartUpMemory } from '../src/start-up-memory.ts';

const MB = 1024 * 1024;

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

    await releaseStartUpMemory();

    const after = process.memoryUsage().heapTotal;
    expect(before - after).toBeGreaterThan(20 * MB);
  });

  it('leaves no inspector session behind: it can run again', async () => {
    await releaseStartUpMemory();
    await expect(releaseStartUpMemory()).resolves.toBeUndefined();
  });
});
