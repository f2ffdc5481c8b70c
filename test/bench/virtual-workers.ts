/**
 * Virtual social workers: they join with an invitation code, go on call, and watch their chat for pages
 * (a message with a `claim:` button). One of them claims each page a moment after it arrives, as an on-call
 * worker would, so a case is not paged again at its next escalation step while the bench runs.
 */
import type { TChatMessage } from './fake-telegram.ts';
import type { TTelegramUser } from './telegram-updates.ts';
import type { TResidentEnv } from './virtual-residents.ts';

export type TPage = { workerId: number; caseId: number; at: number; text: string };

/** How long a worker takes to press Claim after the page arrives. */
const CLAIM_AFTER_MS = 1000;

/**
 * Sends `/join <code>` and `/oncall on`, each time waiting for the bot's answer. Throws when the bot does
 * not answer within the step timeout.
 *
 * @example
 * await enlistWorker({ id: 900000001, languageCode: 'en', firstName: 'Bench Worker 1' }, code, env);
 */
export async function enlistWorker(user: TTelegramUser, code: string, env: TResidentEnv): Promise<void> {
  for (const command of [`/join ${code}`, '/oncall on']) {
    const replied = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker ${user.id}: no answer to "${command}"`)),
        env.stepTimeoutMs,
      );
      env.fake.onChatMessage(user.id, (message) => {
        if (message.method !== 'sendMessage') return;
        clearTimeout(timer);
        resolve();
      });
    });
    const delivered = env.delivery.deliver(env.updates.text(user, command));
    await replied;
    await delivered;
  }
  env.fake.offChatMessage(user.id);
}

/**
 * Records every page `user` receives from now on; with `claims`, presses its Claim button a second later.
 * Returns the pages seen so far, live.
 */
export function watchPages(user: TTelegramUser, env: TResidentEnv, options: { claims: boolean }): TPage[] {
  const pages: TPage[] = [];
  env.fake.onChatMessage(user.id, (message: TChatMessage) => {
    if (message.method !== 'sendMessage') return;
    const claim = message.buttons.find((button) => button.data.startsWith('claim:'));
    if (!claim) return;
    pages.push({
      workerId: user.id,
      caseId: Number(claim.data.slice('claim:'.length)),
      at: message.at,
      text: message.text,
    });
    if (!options.claims) return;
    setTimeout(() => {
      if (env.signal.aborted) return;
      const pressed = { messageId: message.messageId, date: message.date, text: message.text };
      void env.delivery.deliver(env.updates.press(user, claim.data, pressed));
    }, CLAIM_AFTER_MS);
  });
  return pages;
}
