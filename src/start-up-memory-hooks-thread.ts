/**
 * Registered by `start-up-memory.ts` as a module-hooks module, so that it runs in the hooks thread (tsx's). It
 * adds no hook: once start-up has loaded every module, it collects that thread's heap when asked.
 */
import type { MessagePort } from 'node:worker_threads';
import { collectHeap } from './heap-collection.ts';

/** Node calls this in the hooks thread with what `register` passed as `data`. */
export async function initialize({ port }: { port: MessagePort }): Promise<void> {
  port.once('message', async () => {
    port.postMessage(await collectHeap().catch(() => undefined));
    port.close();
  });
}
