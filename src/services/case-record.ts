import type { i18n } from 'i18next';
import { currentClient } from '../db/unit-of-work.ts';
import { readScores, type TCaseView } from '../domain/escalation/index.ts';
import { ID_LABELS, localize, type TScriptLabels } from '../domain/script/index.ts';
import type { PrismaClient, Worker } from '../generated/prisma/client.ts';
import { openCaseForViewing } from './case-view.ts';
import { crisisMessagesOf, messageContext, noteContext } from './case-work.ts';
import type { TDataProtector } from './data-protection.ts';
import { caseViewOf } from './pages.ts';
import { freeTextAnswersOf } from './screenings.ts';
import type { TScriptRegistry } from './script-registry.ts';

/** One indicator of a case against its script's bands, for a chart. */
export type TIndicatorReading = {
  id: string;
  label: string;
  total: number;
  min: number;
  max: number;
  band: string;
  bands: Array<{ name: string; label: string; min: number; max: number; level: string }>;
};

/** A line of the transcript; `text` undefined when it could not be opened (tampered, or a retired key). */
export type TTranscriptLine = {
  direction: 'from-resident' | 'from-worker';
  /** `crisis`: the message that opened or raised the case. */
  purpose: string;
  text: string | undefined;
  at: Date;
  workerName: string | undefined;
};

export type TTimelineEntry = {
  type: string;
  at: Date;
  /** The worker who acted, by name; undefined for the service itself. */
  actorName: string | undefined;
  detail: Record<string, unknown>;
};

/** Everything the dashboard's case page shows about one case. */
export type TCaseRecord = {
  id: number;
  level: string;
  status: string;
  outcome: string | null;
  createdAt: Date;
  claimedAt: Date | null;
  closedAt: Date | null;
  claimedByName: string | undefined;
  /** Claimed by the worker reading it: theirs to reply, note, release, resolve. */
  isMine: boolean;
  view: TCaseView;
  labels: TScriptLabels;
  indicators: TIndicatorReading[];
  transcript: TTranscriptLine[];
  notes: Array<{ text: string | undefined; at: Date; authorName: string | undefined }>;
  timeline: TTimelineEntry[];
};

export type TCaseRecordOutcome =
  | { type: 'record'; record: TCaseRecord }
  | { type: 'not-allowed'; caseId: number }
  | { type: 'not-found'; caseId: number };

/**
 * A case as the dashboard shows it — summary, indicators against their bands, the transcript, notes and the
 * timeline — for a worker allowed to see it (the same rule as the bot's Details). Every opening is recorded on
 * the case's timeline, in the caller's transaction. The script's labels are in `locale`, the language the
 * page is read in (the dashboard's choice), not the worker's bot language.
 */
export async function caseRecordFor(
  deps: { prisma: PrismaClient; protector: TDataProtector; i18n: i18n; scripts: TScriptRegistry },
  input: { worker: Worker; caseId: number; now: Date; locale: string },
): Promise<TCaseRecordOutcome> {
  const db = currentClient(deps.prisma);
  const opened = await openCaseForViewing(deps, { ...input, via: 'dashboard' });
  if (opened.type !== 'open') return opened;
  const { row } = opened;

  const [messages, notes, events, answers, script] = await Promise.all([
    db.caseMessage.findMany({ where: { caseId: row.id }, orderBy: { id: 'asc' } }),
    db.caseNote.findMany({ where: { caseId: row.id }, orderBy: { id: 'asc' } }),
    db.caseEvent.findMany({ where: { caseId: row.id }, orderBy: { id: 'asc' } }),
    row.screeningId ? freeTextAnswersOf(deps, row.screeningId) : Promise.resolve([]),
    row.scriptId && row.scriptVersion ? deps.scripts.get(row.scriptId, row.scriptVersion) : undefined,
  ]);
  const names = await workerNames(deps, [
    ...messages.flatMap((message) => (message.workerId === null ? [] : [message.workerId])),
    ...notes.map((note) => note.workerId),
    ...events.flatMap((event) => workerIdOf(event.actor) ?? []),
  ]);
  const labels = script
    ? await deps.scripts.labels(row.scriptId, row.scriptVersion, input.locale)
    : ID_LABELS;
  const open = (sealed: string, context: string) => {
    try {
      return deps.protector.open(sealed, context);
    } catch {
      return undefined;
    }
  };

  const indicators = Object.entries(readScores(row.scores)).map(([id, score]): TIndicatorReading => {
    const indicator = script?.indicators[id];
    return {
      id,
      label: labels.indicator(id),
      total: score.total,
      min: score.min,
      max: score.max,
      band: labels.band(id, score.band),
      bands: (indicator?.bands ?? []).map((band) => ({
        name: band.name,
        label: band.label && script ? localize(band.label, input.locale, script.locales) : band.name,
        min: band.min,
        max: band.max,
        level: band.level,
      })),
    };
  });

  return {
    type: 'record',
    record: {
      id: row.id,
      level: row.level,
      status: row.status,
      outcome: row.outcome,
      createdAt: row.createdAt,
      claimedAt: row.claimedAt,
      closedAt: row.closedAt,
      claimedByName: row.claimedBy?.name,
      isMine: row.status === 'claimed' && row.claimedById === input.worker.id,
      view: {
        ...caseViewOf(deps.protector, row),
        words: { messages: await crisisMessagesOf(deps, row.id), answers },
      },
      labels,
      indicators,
      transcript: messages.map((message) => ({
        direction: message.direction === 'from-worker' ? 'from-worker' : 'from-resident',
        purpose: message.purpose,
        text: open(message.textSealed, messageContext(row.id)),
        at: message.createdAt,
        workerName: message.workerId === null ? undefined : names.get(message.workerId),
      })),
      notes: notes.map((note) => ({
        text: open(note.textSealed, noteContext(row.id)),
        at: note.createdAt,
        authorName: names.get(note.workerId),
      })),
      timeline: events.map((event) => {
        const workerId = workerIdOf(event.actor);
        return {
          type: event.type,
          at: event.createdAt,
          actorName: workerId === undefined ? undefined : (names.get(workerId) ?? `#${workerId}`),
          detail: isRecord(event.detail) ? event.detail : {},
        };
      }),
    },
  };
}

async function workerNames(deps: { prisma: PrismaClient }, ids: number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await currentClient(deps.prisma).worker.findMany({
    where: { id: { in: [...new Set(ids)] } },
    select: { id: true, name: true },
  });
  return new Map(rows.map((row) => [row.id, row.name]));
}

function workerIdOf(actor: string): number | undefined {
  const match = /^worker:(\d+)$/.exec(actor);
  return match ? Number(match[1]) : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
