/**
 * How Telegram hands updates to the bot, as the bench plays it. Webhook: each update is POSTed half a round
 * trip after the resident sent it, with the secret header, over at most `max_connections` connections at
 * once (what the bot set with setWebhook; Telegram's default is 40), and an update the bot does not answer
 * 2xx is delivered again later, as Telegram does (its schedule is not published: 1, 2, 4, 8 and 16 s here,
 * then it is given up). Long polling: the update is queued in the fake's getUpdates queue. Every delivery
 * is recorded with its times.
 */
import { setMaxListeners } from 'node:events';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Update } from 'grammy/types';
import type { TFakeTelegram } from './fake-telegram.ts';

export type TDeliveryMode = 'webhook' | 'polling';

export type TAttempt = { postedAt: number; respondedAt: number; status: number };

export type TDeliveryRecord = {
  updateId: number;
  /** When Telegram had the update (the resident sent it). */
  offeredAt: number;
  /** Webhook: the first POST left; polling: queued for getUpdates. */
  postedAt: number | undefined;
  /** Webhook: when the bot answered 2xx; polling: undefined (the bot never answers an update). */
  respondedAt: number | undefined;
  /** Webhook attempts, failed ones included (status 0: no answer, or timed out). */
  attempts: TAttempt[];
  isSettled: boolean;
};

export type TUpdateDeliveryOptions = {
  mode: TDeliveryMode;
  fake: TFakeTelegram;
  /** The bot's HTTP port (webhook mode). */
  port: number;
  secret: string;
  /** A webhook request that takes longer is abandoned and tried again, as Telegram does. */
  requestTimeoutMs?: number;
};

/** Telegram's own defaults: 40 connections, and a failed delivery tried again later, less and less often. */
const DEFAULT_MAX_CONNECTIONS = 40;
const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 16_000];

/**
 * @example
 * const delivery = createUpdateDelivery({ mode: 'webhook', fake, port: bot.port, secret: 'bench-secret' });
 * const record = await delivery.deliver(update, (postedAt) => (step.postedAt = postedAt));
 */
export function createUpdateDelivery(options: TUpdateDeliveryOptions) {
  const { fake } = options;
  const halfTrip = fake.rttMs / 2;
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const requested = Number(fake.webhook()?.max_connections);
  const maxConnections = requested > 0 ? Math.min(requested, 100) : DEFAULT_MAX_CONNECTIONS;
  const agent = new Agent({ keepAlive: true, maxSockets: maxConnections });
  const records: TDeliveryRecord[] = [];
  const waiting: Array<() => void> = [];
  let active = 0;
  let inFlight = 0;
  let isClosed = false;
  const closing = new AbortController();
  setMaxListeners(0, closing.signal);
  let shouldRetry = () => true;
  const settledListeners = new Set<() => void>();

  async function slot(): Promise<void> {
    if (active < maxConnections) {
      active++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  }

  function release(): void {
    const next = waiting.shift();
    if (next) next();
    else active--;
  }

  function post(body: string): Promise<{ status: number }> {
    return new Promise((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: options.port,
          path: '/webhook',
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'X-Telegram-Bot-Api-Secret-Token': options.secret,
          },
          timeout: requestTimeoutMs,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
          res.on('error', () => resolve({ status: 0 }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', () => resolve({ status: 0 }));
      req.end(body);
    });
  }

  async function deliverByWebhook(update: Update, record: TDeliveryRecord, onPosted?: (at: number) => void) {
    const body = JSON.stringify(update);
    for (let attempt = 0; ; attempt++) {
      await sleep(
        attempt === 0 ? halfTrip : (RETRY_DELAYS_MS[attempt - 1] ?? 16_000) + halfTrip,
        closing.signal,
      );
      if (isClosed) return;
      await slot();
      if (isClosed) {
        release();
        return;
      }
      const postedAt = performance.now();
      if (record.postedAt === undefined) {
        record.postedAt = postedAt;
        onPosted?.(postedAt);
      }
      const { status } = await post(body);
      release();
      const respondedAt = performance.now();
      record.attempts.push({ postedAt, respondedAt, status });
      if (status >= 200 && status < 300) {
        record.respondedAt = respondedAt;
        return;
      }
      if (attempt >= RETRY_DELAYS_MS.length || !shouldRetry()) return;
    }
  }

  return {
    mode: options.mode,
    maxConnections,
    records,
    /** Hands one update to the bot; resolves when the bot answered it (webhook) or it is queued (polling). */
    async deliver(update: Update, onPosted?: (at: number) => void): Promise<TDeliveryRecord> {
      const record: TDeliveryRecord = {
        updateId: update.update_id,
        offeredAt: performance.now(),
        postedAt: undefined,
        respondedAt: undefined,
        attempts: [],
        isSettled: false,
      };
      records.push(record);
      if (options.mode === 'polling') {
        record.postedAt = record.offeredAt;
        onPosted?.(record.offeredAt);
        fake.queueUpdate(update);
        record.isSettled = true;
        return record;
      }
      inFlight++;
      try {
        await deliverByWebhook(update, record, onPosted);
      } finally {
        record.isSettled = true;
        inFlight--;
        for (const listener of settledListeners) listener();
      }
      return record;
    },
    /** Webhook deliveries not settled yet (waiting for a connection, in flight, or waiting to retry). */
    inFlight: () => inFlight,
    /** Whether a failed delivery is tried again (default: always, up to Telegram's few tries). */
    retryWhile(condition: () => boolean): void {
      shouldRetry = condition;
    },
    /** Waits until every webhook delivery settled, or `maxMs` passed; says whether all did. */
    async drain(maxMs: number): Promise<boolean> {
      if (inFlight === 0) return true;
      return new Promise<boolean>((resolve) => {
        const done = (isDrained: boolean) => {
          clearTimeout(timer);
          settledListeners.delete(check);
          resolve(isDrained);
        };
        const check = () => {
          if (inFlight === 0) done(true);
        };
        const timer = setTimeout(() => done(inFlight === 0), maxMs);
        settledListeners.add(check);
      });
    },
    close(): void {
      isClosed = true;
      closing.abort();
      for (const next of waiting.splice(0)) next();
      agent.destroy();
    },
  };
}

export type TUpdateDelivery = ReturnType<typeof createUpdateDelivery>;

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
