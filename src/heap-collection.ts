import { Session } from 'node:inspector/promises';

export type THeapRelease = { heapBefore: number; heapAfter: number };

/**
 * V8's low-memory collection (the one DevTools' "Collect garbage" asks for) on the calling thread's heap: unlike
 * a plain `gc()`, it also gives the freed pages back. The inspector session is in-process: it opens no port,
 * and it is closed again at once.
 */
export async function collectHeap(): Promise<THeapRelease> {
  const heapBefore = process.memoryUsage().heapTotal;
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.collectGarbage');
  } finally {
    session.disconnect();
  }
  return { heapBefore, heapAfter: process.memoryUsage().heapTotal };
}
