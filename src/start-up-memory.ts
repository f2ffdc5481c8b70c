import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { collectHeap, type THeapRelease } from './heap-collection.ts';

/** The hooks thread answers in milliseconds; start-up never waits on it longer than this. */
const HOOKS_THREAD_TIMEOUT_MS = 2000;

export type TStartUpRelease = {
  mainThread: THeapRelease;
  /** tsx's thread: undefined when there is none, or when it did not answer in time. */
  hooksThread: THeapRelease | undefined;
};

/**
 * Gives back, before the bot takes traffic, the memory start-up used once: migrations, the risk data, the
 * screening script, and in tsx's thread the loading of every module. V8 keeps those pages until its memory
 * reducer sees each thread idle, 10-30 s later; its low-memory collection returns them now, in about 0.1 s.
 *
 * @example
 * await releaseStartUpMemory(); // the embedded bot: about 300 MB -> 245 MB right after start
 */
export async function releaseStartUpMemory(): Promise<TStartUpRelease> {
  const mainThread = await collectHeap();
  const hooksThread = isTsxLoaded() ? await collectHooksThread() : undefined;
  return { mainThread, hooksThread };
}

/**
 * tsx (`npm start`'s `--import tsx`, or its command line) runs Node's module hooks in a thread of their own,
 * with a heap of its own. Without tsx there is no such thread, and registering a hook module would start one.
 */
function isTsxLoaded(): boolean {
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) => arg.includes('tsx'));
}

/**
 * All module hooks share the one hooks thread, so a hook module registered now runs in tsx's thread. Memory is
 * not worth a failed start: a hook module Node will not load means no figure, not an error.
 */
async function collectHooksThread(): Promise<THeapRelease | undefined> {
  const { port1, port2 } = new MessageChannel();
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = new Promise<THeapRelease | undefined>((resolve) => {
      port1.once('message', (release: THeapRelease | undefined) => resolve(release));
      timer = setTimeout(() => resolve(undefined), HOOKS_THREAD_TIMEOUT_MS);
    });
    register(new URL('./start-up-memory-hooks-thread.ts', import.meta.url), {
      data: { port: port2 },
      transferList: [port2],
    });
    port1.postMessage('collect');
    return await answer;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    port1.close();
  }
}
