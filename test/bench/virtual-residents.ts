/**
 * Virtual residents: Telegram users who talk to the bot the way the bench needs them to, seen only through
 * what the fake Bot API accepts into their chats. A resident sends `/start`, presses the consent button,
 * then answers each question as it arrives, and sends its next update only once the reply it needs has
 * arrived and (webhook) the bot has answered the previous update, so a chat never has two updates in
 * flight, as with a person who reads each reply before answering. Each step's times are kept for the
 * figures.
 *
 * How it answers (the default script's shape, which the bench knows as a person reading it would):
 * - a question is a message with `q:` buttons, or one without buttons whose last line is a counter `7 / 20`;
 * - low answers: the button for option `no` when there is one (a "yes" to a suicide-risk item raises the
 *   level), else the first (lowest-score) option (a button's option id is what follows its last colon); now and then the option's label typed as text instead. Never its
 *   number: on a scale a typed number is the option's value, not its place, so "1" is not the first button;
 * - the closing question (a single button) or a question without buttons: sometimes a plausible sentence
 *   about rent or a lost job, never crisis language;
 * - `high`: the highest option on the distress items (five-option scales) and "yes" to the first yes/no
 *   question, the first suicide-risk item: a critical rule that opens a `high` case at once (a distress
 *   total of 13+ alone raises the level only when the screening ends);
 * - `crisisAt`: at that moment (once the bot has answered its `/start`) the resident writes crisis language,
 *   whatever it is waiting for, as a person in crisis would; its screening waits for the emergency numbers
 *   (the crisis message comes instead of its next answer), then goes on.
 * It is done when a message with a `callback:` button arrives (the low/moderate offer), or, after the last
 * question, one that carries the emergency numbers (someone with an open case gets those instead).
 */
import { performance } from 'node:perf_hooks';
import type { TChatMessage, TFakeTelegram } from './fake-telegram.ts';
import type { TPressedMessage, TTelegramUser, TUpdateFactory } from './telegram-updates.ts';
import type { TDeliveryRecord, TUpdateDelivery } from './update-delivery.ts';

/** Put in EMERGENCY_NUMBERS, so a message carrying the numbers is recognisable in any language. */
export const EMERGENCY_MARKER = 'BENCH-EMERGENCY-NUMBERS';

/** Recognised as imminent by Bridgeline's detector (checked with `npm run classify`). */
const CRISIS_TEXT: Record<string, string> = {
  en: 'I am going to kill myself tonight, I have the pills here',
  'zh-CN': '我今晚就要自杀，药已经准备好了',
};

/** Ordinary troubles, classified `none` by the detector. */
const SENTENCES: Record<string, string[]> = {
  en: [
    'The rent went up again and I have been behind on payments since I lost my job in March.',
    'My landlord will not fix the heating and the housing office has not answered my letters.',
    'I was laid off from the warehouse and my last wages were never paid.',
    'Money is tight since the factory closed, and the rent is due next week.',
  ],
  'zh-CN': [
    '房租又涨了，我三月份丢了工作以后一直交不上。',
    '房东不修暖气，街道办也一直没回复我的信。',
    '工厂倒闭以后工资一直没发，下个月的房租还没着落。',
  ],
};

const COUNTER = /^(\d+)\s*\/\s*(\d+)$/;

export type TResidentPlan = {
  user: TTelegramUser;
  behaviour: 'screening' | 'echo';
  answering?: 'low' | 'high';
  /** `performance.now()` at which the resident writes crisis language. */
  crisisAt?: number;
  /** Stop (mid-screening) after this many answers. */
  stopAfterAnswers?: number;
  /** Echo: how many texts to send. */
  echoMessages?: number;
  /** Share of answers typed instead of pressed, 0-1. */
  typedShare?: number;
};

export type TStep = {
  kind: 'start' | 'consent' | 'answer' | 'crisis' | 'echo';
  offeredAt: number;
  postedAt: number | undefined;
  /** The reply this step waited for was accepted by the fake. */
  replyAt: number | undefined;
  /** The resident could go on: the reply arrived and (webhook) the bot answered the update. */
  doneAt: number | undefined;
};

export type TResidentOutcome =
  /** Ran the whole script (or all its echo messages). */
  | 'finished'
  /** Stopped where its plan said (mid-screening), or the run ended before its next update. */
  | 'stopped'
  /** The run ended while it waited for a reply. */
  | 'cut-off'
  /** A reply it needed did not come within the step timeout: an error. */
  | 'timed-out';

export type TResidentResult = {
  userId: number;
  plan: TResidentPlan;
  outcome: TResidentOutcome;
  /** What it was waiting for when it timed out or was cut off. */
  waitingFor?: string;
  steps: TStep[];
  /** Per question, in order: from the POST of the update that called for it to its acceptance, ms. */
  questionTimes: number[];
  crisis?: { postedAt: number | undefined; numbersAt: number | undefined };
  /** The answer that should open a case (`high`). */
  caseOpening?: { postedAt: number | undefined };
};

export type TResidentEnv = {
  fake: TFakeTelegram;
  delivery: TUpdateDelivery;
  updates: TUpdateFactory;
  /** Called before each update: resolves true to send it now, false when the run is over. */
  gate: () => Promise<boolean>;
  stepTimeoutMs: number;
  /** Aborted when the run ends: a resident waiting for a reply gives up at once. */
  signal: AbortSignal;
  random: () => number;
};

type TQuestion = { message: TChatMessage; answered: number; total: number | undefined };

/**
 * Runs one resident to its end. Never throws: what went wrong is in the result.
 *
 * @example
 * const result = await runResident({ user, behaviour: 'screening' }, env);
 */
export async function runResident(plan: TResidentPlan, env: TResidentEnv): Promise<TResidentResult> {
  const inbox: TChatMessage[] = [];
  const waiters = new Set<() => void>();
  env.fake.onChatMessage(plan.user.id, (message) => {
    if (message.method !== 'sendMessage') return;
    inbox.push(message);
    for (const wake of [...waiters]) wake();
  });
  const result: TResidentResult = {
    userId: plan.user.id,
    plan,
    outcome: 'stopped',
    steps: [],
    questionTimes: [],
  };
  const locale = plan.user.languageCode.startsWith('zh') ? 'zh-CN' : 'en';

  /** The first message from `from` on that matches, or undefined (timed out, or the run ended). */
  async function waitFor(from: number, what: string, isWanted: (m: TChatMessage) => boolean) {
    const deadline = performance.now() + env.stepTimeoutMs;
    let index = from;
    for (;;) {
      for (; index < inbox.length; index++) {
        const message = inbox[index] as TChatMessage;
        if (isWanted(message)) return message;
      }
      if (env.signal.aborted) {
        result.outcome = 'cut-off';
        result.waitingFor = what;
        return undefined;
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        result.outcome = 'timed-out';
        result.waitingFor = what;
        return undefined;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const onAbort = () => done();
        env.signal.addEventListener('abort', onAbort, { once: true });
        function done() {
          clearTimeout(timer);
          env.signal.removeEventListener('abort', onAbort);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  /** Sends one update and waits for the reply `isWanted` picks out, then for the bot's answer to it. */
  async function step(
    kind: TStep['kind'],
    update: Parameters<TUpdateDelivery['deliver']>[0],
    what: string,
    isWanted: (m: TChatMessage) => boolean,
  ): Promise<{ reply: TChatMessage | undefined; step: TStep }> {
    const record: TStep = {
      kind,
      offeredAt: performance.now(),
      postedAt: undefined,
      replyAt: undefined,
      doneAt: undefined,
    };
    result.steps.push(record);
    const from = inbox.length;
    const delivered: Promise<TDeliveryRecord> = env.delivery.deliver(update, (at) => {
      record.postedAt = at;
    });
    const reply = await waitFor(from, what, isWanted);
    if (!reply) return { reply, step: record };
    record.replyAt = reply.at;
    await delivered;
    record.doneAt = performance.now();
    return { reply, step: record };
  }

  // Crisis language comes at its moment, whatever the bot is doing (once the resident has seen the bot
  // answer at all); the screening waits meanwhile, so it is sent instead of the next answer.
  let startAnswered: () => void = () => undefined;
  const hasStartAnswer = new Promise<void>((resolve) => {
    startAnswered = resolve;
  });
  let crisisUnderWay: Promise<void> | undefined;
  const crisis = plan.crisisAt === undefined ? undefined : sendCrisisAt(plan.crisisAt);
  try {
    if (plan.behaviour === 'echo') await runEcho();
    else await runScreening();
    await crisis;
  } finally {
    startAnswered();
    env.fake.offChatMessage(plan.user.id);
  }
  return result;

  async function sendCrisisAt(at: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, at - performance.now()));
      env.signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        env.signal.removeEventListener('abort', done);
        resolve();
      }
    });
    await hasStartAnswer;
    if (env.signal.aborted || !(await env.gate())) return;
    const text = CRISIS_TEXT[locale] ?? CRISIS_TEXT.en ?? '';
    result.crisis = { postedAt: undefined, numbersAt: undefined };
    const sending = step('crisis', env.updates.text(plan.user, text), 'the emergency numbers', (m) =>
      m.text.includes(EMERGENCY_MARKER),
    );
    crisisUnderWay = sending.then(() => undefined);
    const sent = await sending;
    result.crisis = { postedAt: sent.step.postedAt, numbersAt: sent.reply?.at };
  }

  /** Before the screening's next update: let crisis language under way be answered first. */
  async function ready(): Promise<boolean> {
    await crisisUnderWay;
    return env.gate();
  }

  async function runEcho(): Promise<void> {
    const count = plan.echoMessages ?? 16;
    for (let i = 1; i <= count; i++) {
      if (!(await env.gate())) return;
      const text = `${SENTENCES[locale]?.[i % 3] ?? 'hello'} (${i})`;
      const { reply, step: sent } = await step('echo', env.updates.text(plan.user, text), 'the echo', (m) => {
        return m.text === text;
      });
      if (!reply) return;
      result.questionTimes.push(reply.at - (sent.postedAt ?? sent.offeredAt));
    }
    result.outcome = 'finished';
  }

  async function runScreening(): Promise<void> {
    if (!(await ready())) return;
    const started = await step('start', env.updates.text(plan.user, '/start'), 'the consent button', (m) =>
      hasButton(m, 'consent:yes'),
    );
    startAnswered();
    if (!started.reply) return;
    if (!(await ready())) return;
    const consented = await step(
      'consent',
      env.updates.press(plan.user, 'consent:yes', pressedOf(started.reply)),
      'the first question',
      isQuestion,
    );
    if (!consented.reply) return;
    let question = questionOf(consented.reply);
    result.questionTimes.push(consented.reply.at - (consented.step.postedAt ?? consented.step.offeredAt));
    let answers = 0;
    let hasOpenedCase = false;

    for (;;) {
      if (plan.stopAfterAnswers !== undefined && answers >= plan.stopAfterAnswers) return;
      if (!(await ready())) return;

      const isLast = question.total !== undefined && question.answered >= question.total;
      const answer = chooseAnswer(question.message, hasOpenedCase);
      if (answer.opensCase) hasOpenedCase = true;
      const update =
        answer.type === 'press'
          ? env.updates.press(plan.user, answer.data, pressedOf(question.message))
          : env.updates.text(plan.user, answer.text);
      const current = question.message.messageId;
      const answered = await step('answer', update, 'the next question', (m) => {
        if (isQuestion(m) && m.messageId > current) return true;
        return isDone(m, isLast);
      });
      answers++;
      if (answer.opensCase) result.caseOpening = { postedAt: answered.step.postedAt };
      if (!answered.reply) return;
      if (isDone(answered.reply, isLast)) {
        result.outcome = 'finished';
        return;
      }
      question = questionOf(answered.reply);
      result.questionTimes.push(answered.reply.at - (answered.step.postedAt ?? answered.step.offeredAt));
    }
  }

  function chooseAnswer(
    message: TChatMessage,
    hasOpenedCase: boolean,
  ):
    | { type: 'press'; data: string; opensCase?: boolean }
    | { type: 'text'; text: string; opensCase?: boolean } {
    const options = message.buttons.filter((button) => button.data.startsWith('q:'));
    const sentences = SENTENCES[locale] ?? [];
    const sentence =
      sentences[Math.floor(env.random() * sentences.length)] ?? 'Things are hard at the moment.';
    if (options.length === 0) return { type: 'text', text: sentence };
    if (options.length === 1 && env.random() < 0.5) return { type: 'text', text: sentence };

    let chosen = options.find((option) => optionIdOf(option.data) === 'no') ?? options[0];
    let opensCase = false;
    if (plan.answering === 'high' && !hasOpenedCase) {
      const yes = options.find((option) => optionIdOf(option.data) === 'yes');
      if (yes) {
        chosen = yes;
        opensCase = true;
      } else if (options.length === 5) {
        chosen = options[4];
      }
    }
    if (!chosen) return { type: 'text', text: sentence };
    if (env.random() < (plan.typedShare ?? 0)) return { type: 'text', text: chosen.text, opensCase };
    return { type: 'press', data: chosen.data, opensCase };
  }
}

/** The option a `q:` button stands for: the id after the last colon (`q:no`, `q:7:no`). */
function optionIdOf(data: string): string {
  return data.slice(data.lastIndexOf(':') + 1);
}

function hasButton(message: TChatMessage, data: string): boolean {
  return message.buttons.some((button) => button.data === data);
}

function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  return (lines[lines.length - 1] ?? '').trim();
}

/** A question: `q:` buttons, or no buttons and a progress counter as the last line. */
export function isQuestion(message: TChatMessage): boolean {
  if (message.buttons.some((button) => button.data.startsWith('q:'))) return true;
  return message.buttons.length === 0 && COUNTER.test(lastLine(message.text));
}

function isDone(message: TChatMessage, isAfterLastQuestion: boolean): boolean {
  if (message.buttons.some((button) => button.data.startsWith('callback:'))) return true;
  return isAfterLastQuestion && message.text.includes(EMERGENCY_MARKER);
}

function questionOf(message: TChatMessage): TQuestion {
  const counter = COUNTER.exec(lastLine(message.text));
  return {
    message,
    answered: counter ? Number(counter[1]) : 0,
    total: counter ? Number(counter[2]) : undefined,
  };
}

function pressedOf(message: TChatMessage): TPressedMessage {
  return { messageId: message.messageId, date: message.date, text: message.text };
}
