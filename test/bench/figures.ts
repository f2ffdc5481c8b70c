/**
 * The rows of the report: each figure, its unit, and what it is judged by (which ratio tells whether
 * Bridgeline is doing well). One place, so the scenarios, the table and the JSON use the same ids.
 */
import type { TPlan } from './plan.ts';
import type { TResults } from './results.ts';
import { formatNumber, formatRatio, ratio } from './stats.ts';

export type TJudge = { label: string; ratios: (results: TResults) => string };

export type TFigure = { id: string; label: string; judge?: TJudge };

export type TSection = { title: string; figures: TFigure[] };

const DATABASES = [
  ['pglite', 'emb'],
  ['postgres', 'pg'],
] as const;

function perDatabase(compute: (database: 'pglite' | 'postgres') => number | undefined): string {
  return DATABASES.map(([database, short]) => {
    const value = compute(database);
    return `${short} ${value === undefined ? 'n/a' : formatRatio(value)}`;
  }).join(' · ');
}

/** Bridgeline ÷ the typical bot on the same database. */
function versusTypical(figure: string, better: string): TJudge {
  return {
    label: `Bridgeline ÷ typical bot, same database (${better})`,
    ratios: (results) =>
      perDatabase((db) =>
        ratio(results.value(figure, `bridgeline:${db}`), results.value(figure, `typical:${db}`)),
      ),
  };
}

/** Bridgeline ÷ the echo bot (the floor). */
function versusEcho(figure: string, better: string): TJudge {
  return {
    label: `Bridgeline ÷ echo bot (${better})`,
    ratios: (results) =>
      perDatabase((db) => ratio(results.value(figure, `bridgeline:${db}`), results.value(figure, 'echo'))),
  };
}

function both(first: TJudge, second: TJudge): TJudge {
  return {
    label: `${first.label}; ${second.label}`,
    ratios: (results) => `${first.ratios(results)}; ${second.ratios(results)}`,
  };
}

/** Bridgeline's own figure `a` ÷ its figure `b`, per database. */
function ownRatio(a: string, b: string, label: string): TJudge {
  return {
    label,
    ratios: (results) =>
      perDatabase((db) => ratio(results.value(a, `bridgeline:${db}`), results.value(b, `bridgeline:${db}`))),
  };
}

function target(label: string): TJudge {
  return { label, ratios: () => '' };
}

export const FIGURE = {
  throughput: 'throughput.webhook',
  webhookP50: 'webhook.p50',
  webhookP95: 'webhook.p95',
  webhookP99: 'webhook.p99',
  cpu: 'cpu.per-update',
  databaseCpu: 'cpu.postgres-per-update',
  peakRss: 'rss.peak',
  statements: 'statements.per-update',
  firstThree: 'question.first-three.p50',
  lastThree: 'question.last-three.p50',
  flatness: 'question.flatness',
  errors: 'errors.throughput',
  pollingThroughput: 'throughput.polling',
  pollingRatio: 'throughput.polling-over-webhook',
  openP50: 'open-loop.webhook.p50',
  openP99: 'open-loop.webhook.p99',
  openDeliveryP99: 'open-loop.delivery.p99',
  crisisNumbersP50: 'limits.crisis-to-numbers.p50',
  crisisNumbersP99: 'limits.crisis-to-numbers.p99',
  crisisPagesP99: 'limits.crisis-to-pages.p99',
  casePagesP99: 'limits.case-to-pages.p99',
  lost: 'limits.lost',
  sentTwice: 'limits.sent-twice',
  rateLimited: 'limits.rate-limited',
  limitsWebhookFailures: 'limits.webhook-not-2xx',
  sizeSmallThroughput: 'size.small.throughput',
  sizeLargeThroughput: 'size.large.throughput',
  sizeThroughputRatio: 'size.throughput-ratio',
  sizeSmallQuestion: 'size.small.question-p50',
  sizeLargeQuestion: 'size.large.question-p50',
  sizeQuestionRatio: 'size.question-ratio',
  idleRss: 'memory.idle-rss',
  settledRss: 'memory.settled-rss',
  busyRss: 'memory.busy-rss',
} as const;

/**
 * @example
 * for (const section of figureCatalogue(plan)) console.log(section.title);
 */
export function figureCatalogue(plan: TPlan): TSection[] {
  const t = plan.throughput;
  const sizes = plan.databaseSize?.sizes ?? [1000, 100_000];
  const small = formatNumber(sizes[0]);
  const large = formatNumber(sizes[1]);
  const open = plan.openLoop ?? { ratePerSecond: 100, durationMs: 20_000 };
  const limits = plan.limits;
  return [
    {
      title: `1. Throughput, closed loop: ${t.residents} residents at once, whole screening, RTT ${plan.rttMs} ms`,
      figures: [
        {
          id: FIGURE.throughput,
          label: 'Throughput, webhook (updates/s, steady part)',
          judge: versusTypical(FIGURE.throughput, 'higher is better'),
        },
        {
          id: FIGURE.webhookP50,
          label: 'Webhook response p50 (ms)',
          judge: versusTypical(FIGURE.webhookP50, 'lower is better'),
        },
        {
          id: FIGURE.webhookP95,
          label: 'Webhook response p95 (ms)',
          judge: versusTypical(FIGURE.webhookP95, 'lower is better'),
        },
        {
          id: FIGURE.webhookP99,
          label: 'Webhook response p99 (ms)',
          judge: versusTypical(FIGURE.webhookP99, 'lower is better'),
        },
        {
          id: FIGURE.cpu,
          label: 'CPU per update (ms, bot process)',
          judge: both(versusTypical(FIGURE.cpu, 'lower is better'), versusEcho(FIGURE.cpu, 'the floor')),
        },
        {
          id: FIGURE.databaseCpu,
          label: 'CPU per update, PostgreSQL server (ms, its backends for this database)',
          judge: versusTypical(FIGURE.databaseCpu, 'lower is better'),
        },
        {
          id: FIGURE.peakRss,
          label: 'Peak RSS (MB)',
          judge: versusTypical(FIGURE.peakRss, 'lower is better'),
        },
        {
          id: FIGURE.statements,
          label: 'SQL statements per update',
          judge: versusTypical(FIGURE.statements, 'lower is better'),
        },
        {
          id: FIGURE.firstThree,
          label: 'Time per question p50, first 3 questions (ms)',
          judge: versusTypical(FIGURE.firstThree, 'lower is better'),
        },
        {
          id: FIGURE.lastThree,
          label: 'Time per question p50, last 3 questions (ms)',
          judge: versusTypical(FIGURE.lastThree, 'lower is better'),
        },
        {
          id: FIGURE.flatness,
          label: 'Flatness: last 3 ÷ first 3 (1 = flat)',
          judge: versusTypical(FIGURE.flatness, 'nearer 1 is better'),
        },
        {
          id: FIGURE.errors,
          label: 'Errors: residents timed out + webhook answers not 2xx',
          judge: target('0 is right'),
        },
        ...(t.hasPolling
          ? [
              {
                id: FIGURE.pollingThroughput,
                label: 'Throughput, long polling (updates/s)',
                judge: versusTypical(FIGURE.pollingThroughput, 'higher is better'),
              },
              {
                id: FIGURE.pollingRatio,
                label: 'Long polling ÷ webhook throughput',
                judge: target('1 = polling as fast as webhook'),
              },
            ]
          : []),
      ],
    },
    {
      title: `2. Open loop: ${open.ratePerSecond} updates/s offered for ${Math.round(open.durationMs / 1000)} s, RTT ${plan.rttMs} ms`,
      figures: [
        {
          id: FIGURE.openP50,
          label: 'Webhook response p50 (ms)',
          judge: versusTypical(FIGURE.openP50, 'lower is better'),
        },
        {
          id: FIGURE.openP99,
          label: 'Webhook response p99 (ms)',
          judge: versusTypical(FIGURE.openP99, 'lower is better'),
        },
        {
          id: FIGURE.openDeliveryP99,
          label: 'Update offered → answered p99, incl. waiting for one of Telegram’s connections (ms)',
          judge: versusTypical(FIGURE.openDeliveryP99, 'lower is better'),
        },
      ],
    },
    {
      title: limits
        ? `3. Telegram's limits emulated (30 msg/s, ~1 msg/s per chat): ${limits.residents} residents, ${limits.workers} worker(s) on call, ${limits.crisisResidents} crisis messages, ${limits.highResidents} case-opening answers`
        : "3. Telegram's limits emulated",
      figures: [
        {
          id: FIGURE.crisisNumbersP50,
          label: 'Crisis message → emergency numbers accepted, p50 (ms)',
          judge: target('absolute: no reference reads crisis language'),
        },
        { id: FIGURE.crisisNumbersP99, label: 'Crisis message → emergency numbers accepted, p99 (ms)' },
        { id: FIGURE.crisisPagesP99, label: 'Crisis message → its first page accepted, p99 (ms)' },
        { id: FIGURE.casePagesP99, label: 'Case-opening answer → its first page accepted, p99 (ms)' },
        {
          id: FIGURE.lost,
          label: `Messages lost: still owed ${Math.round((limits?.drainMs ?? 0) / 1000)} s after the load stopped (a reply a resident waits for, the numbers, a page)`,
          judge: target('0 is right'),
        },
        {
          id: FIGURE.sentTwice,
          label: 'Messages sent twice (a question or page, same chat)',
          judge: target('0 is right'),
        },
        {
          id: FIGURE.rateLimited,
          label: '429 answers Telegram (the fake) gave the bot',
          judge: target('fewer means the bot paces itself'),
        },
        {
          id: FIGURE.limitsWebhookFailures,
          label: 'Webhook answers not 2xx (the update failed; Telegram delivers it again)',
          judge: target('0 is right'),
        },
      ],
    },
    {
      title: `4. Database size: ${small} vs ${large} residents already in the database`,
      figures: [
        { id: FIGURE.sizeSmallThroughput, label: `Throughput with ${small} residents (updates/s)` },
        { id: FIGURE.sizeLargeThroughput, label: `Throughput with ${large} residents (updates/s)` },
        {
          id: FIGURE.sizeThroughputRatio,
          label: `Throughput ${large} ÷ ${small}`,
          judge: target('1 = no slowdown'),
        },
        { id: FIGURE.sizeSmallQuestion, label: `Time per question p50 with ${small} residents (ms)` },
        { id: FIGURE.sizeLargeQuestion, label: `Time per question p50 with ${large} residents (ms)` },
        {
          id: FIGURE.sizeQuestionRatio,
          label: `Time per question ${large} ÷ ${small}`,
          judge: target('1 = no slowdown'),
        },
      ],
    },
    {
      title: '5. Memory',
      figures: [
        {
          id: FIGURE.idleRss,
          label: 'RSS idle, after start (MB)',
          judge: versusTypical(FIGURE.idleRss, 'lower is better'),
        },
        {
          id: FIGURE.settledRss,
          label: `RSS idle, settled: ${(plan.memory?.settleMs ?? 30_000) / 1000} s after start without traffic (MB)`,
          judge: target('absolute: what V8 gives back once start-up is over'),
        },
        {
          id: FIGURE.busyRss,
          label: `RSS with ${formatNumber(plan.memory?.residents ?? 10_000)} residents mid-screening (MB)`,
          judge: ownRatio(FIGURE.busyRss, FIGURE.idleRss, 'Bridgeline busy ÷ idle'),
        },
      ],
    },
  ];
}
