import { randomUUID } from 'node:crypto';
import { currentClient, deferWrite, unitCache } from '../db/unit-of-work.ts';
import { scoreGrievance } from '../domain/risk/grievance.ts';
import type { TGrievanceLexicon } from '../domain/risk/grievance-lexicon.ts';
import { compareLevels, maxLevel, type TRiskLevel } from '../domain/risk/level.ts';
import {
  communityTallyOf,
  criticalHits,
  readAnswer,
  resolveLocale,
  resumeScript,
  scoreAnswers,
  startScript,
  submitAnswer,
  type TDoneStep,
  type TIndicatorScore,
  type TQuestionStep,
  type TScoring,
  type TScript,
  type TScriptState,
  type TStep,
} from '../domain/script/index.ts';
import { Prisma, type PrismaClient, type Screening } from '../generated/prisma/client.ts';
import { findOpenCase, hasOpenCase, openOrRaiseCase, type TOpenCaseOutcome } from './cases.ts';
import { recordCommunityTally } from './community-picture.ts';
import type { TDataProtector } from './data-protection.ts';
import { offerGroups, type TGroupOffer } from './groups.ts';
import type { TScriptRegistry } from './script-registry.ts';

export type TScreeningDeps = {
  prisma: PrismaClient;
  protector: TDataProtector;
  scripts: TScriptRegistry;
  /** The script new screenings start with (its newest published version). */
  scriptId: string;
  /** Grievance lexicons by script locale, to score the free text of a finished screening for workers. */
  grievanceLexicons?: Readonly<Record<string, TGrievanceLexicon>>;
};

type TActive = { id: string; script: TScript; state: TScriptState; promptMessageId: number | null };

/** The ongoing step of a screening: what to show, and which message holds the current keyboard. */
export type TScreeningStep = {
  screeningId: string;
  promptMessageId: number | null;
  step: TQuestionStep | TDoneStep;
};

export type TAnswerOutcome = {
  screeningId: string;
  /** `stale`: a button of a question answered before (it names its step); nothing changed. */
  step: TStep | { type: 'stale' };
  /** The question the answer was for, as it was shown. */
  asked?: TQuestionStep;
  /** The message that carried that question's keyboard, once Telegram took it. */
  promptMessageId: number | null;
  escalation?: TOpenCaseOutcome & { level: TRiskLevel };
  /**
   * At the end below `high`: the resident already has an open case (from a crisis message, a critical answer
   * or an earlier request), so a worker has them and there is nothing to offer.
   */
  hasOpenCase?: boolean;
  /** At the end below `high`: support groups that serve the needs the answers showed, to offer. */
  groupOffers?: TGroupOffer[];
};

/** Levels at which the case is opened without asking: a worker must reach the resident. */
const ESCALATE_AT: TRiskLevel = 'high';

/** The field a screening's state is sealed for: its own id. */
export const stateContext = (screeningId: string) => `screening-state:${screeningId}`;

/**
 * Starts a screening with the newest published script, or returns the one already under way (a second
 * `/start` mid-screening resumes it rather than losing the answers).
 *
 * @example
 * const { step } = await startScreening(deps, residentId, 'zh-CN');
 */
export async function startScreening(
  deps: TScreeningDeps,
  residentId: string,
  locale: string,
): Promise<TScreeningStep> {
  const ongoing = await currentScreeningStep(deps, residentId, locale);
  if (ongoing) return ongoing;

  const script = await deps.scripts.latest(deps.scriptId);
  if (!script) throw new Error(`No published version of script "${deps.scriptId}"`);
  const started = startScript(script, scriptLocale(script, locale));
  if (!started.ok) throw new Error(`Script "${script.id}" has no locales`);
  // The id is chosen here so the state can be sealed under it in the same statement that creates the row.
  const id = randomUUID();
  const row = await currentClient(deps.prisma).screening.create({
    data: {
      id,
      residentId,
      scriptId: script.id,
      scriptVersion: script.version,
      stateSealed: sealState(deps, id, started.step.state),
    },
  });
  activeScreenings()?.set(residentId, row);
  return { screeningId: row.id, promptMessageId: null, step: started.step };
}

/** Where the resident's screening stands, in their current language; undefined when none is under way. */
export async function currentScreeningStep(
  deps: TScreeningDeps,
  residentId: string,
  locale: string,
): Promise<TScreeningStep | undefined> {
  const active = await loadActive(deps, residentId);
  if (!active) return undefined;
  const resumed = resumeScript(active.script, {
    ...active.state,
    locale: scriptLocale(active.script, locale),
  });
  if (!resumed.ok) throw new Error(`Screening ${active.id} cannot resume: ${resumed.error}`);
  return { screeningId: active.id, promptMessageId: active.promptMessageId, step: resumed.step };
}

/**
 * Whether `text` names an option of the choice question the resident's screening is waiting on (a button's
 * words, its number, an alias): an answer, which the crisis model and context must not read as a message —
 * "No, not right now" answers a question; it says nothing of its own. Free-text questions never match.
 */
export async function isChoiceAnswer(
  deps: TScreeningDeps,
  input: { residentId: string; text: string; locale: string },
): Promise<boolean> {
  const active = await loadActive(deps, input.residentId);
  if (!active) return false;
  const question = active.script.questions.find((candidate) => candidate.id === active.state.current);
  if (!question || question.kind === 'free_text') return false;
  const locale = scriptLocale(active.script, input.locale);
  const read = readAnswer(question, input.text, locale, active.script.locales);
  return read.ok && read.answer.type === 'option';
}

/**
 * Takes one answer to the waiting question. The engine decides; this stores the new state (sealed), and
 * opens (or raises) a case at once when the answers reach `high` — mid-script included, so someone who stops
 * after saying yes to a suicide item still reaches a worker.
 */
export async function answerScreening(
  deps: TScreeningDeps,
  input: {
    residentId: string;
    answer: string;
    locale: string;
    /** The question a button answers, by how many came before it: any other is stale. */
    step?: number;
  },
): Promise<TAnswerOutcome | undefined> {
  const active = await loadActive(deps, input.residentId);
  if (!active) return undefined;
  const state = { ...active.state, locale: scriptLocale(active.script, input.locale) };
  const base = { screeningId: active.id, promptMessageId: active.promptMessageId };
  if (input.step !== undefined && input.step !== state.path.length)
    return { ...base, step: { type: 'stale' } };
  const resumed = resumeScript(active.script, state);
  const asked = resumed.ok && resumed.step.type === 'question' ? resumed.step : undefined;
  const step = submitAnswer(active.script, state, input.answer);
  if (step.type === 'reask') return { ...base, step };

  await saveState(deps, active.id, step.state);
  const answered = { ...base, ...(asked ? { asked } : {}) };
  if (step.type === 'question') {
    const alert = step.alert;
    if (!alert || compareLevels(alert.level, ESCALATE_AT) < 0) return { ...answered, step };
    // A rule that already held was acted on at the answer that set it; it is acted on again only if it
    // rose, or if the case it opened has closed since (a worker resolved it mid-screening).
    const before = maxLevel(...criticalHits(active.script, active.state.answers).map((hit) => hit.level));
    const isRise = compareLevels(alert.level, before) > 0;
    if (!isRise && (await hasOpenCaseAtLeast(deps, input.residentId, alert.level)))
      return { ...answered, step };
    const scoring = scoreAnswers(active.script, step.state.answers);
    const escalation = await openOrRaiseCase(deps, {
      residentId: input.residentId,
      level: alert.level as 'high' | 'imminent',
      source: 'screening',
      score: topScore(scoring.scores),
      screening: screeningDetails(
        active.id,
        { scriptId: active.script.id, scriptVersion: active.script.version },
        scoring,
      ),
    });
    return { ...answered, step, escalation: { ...escalation, level: alert.level } };
  }

  const { result } = step;
  const completedAt = new Date();
  await currentClient(deps.prisma).screening.update({
    where: { id: active.id },
    data: { status: 'completed', level: result.level, completedAt },
  });
  const tally = communityTallyOf(active.script, step.state.answers, result);
  await recordCommunityTally(deps, {
    screeningId: active.id,
    scriptId: active.script.id,
    tally,
    now: completedAt,
  });
  activeScreenings()?.set(input.residentId, null);
  if (compareLevels(result.level, ESCALATE_AT) < 0) {
    const groupOffers = await offerGroups(deps, {
      residentId: input.residentId,
      needs: tally.themes,
      locale: state.locale,
      now: completedAt,
    });
    return { ...answered, step, hasOpenCase: await hasOpenCase(deps, input.residentId), groupOffers };
  }
  const escalation = await openScreeningCase(
    deps,
    input.residentId,
    active.id,
    step,
    result.level as 'high' | 'imminent',
    'screening',
  );
  return { ...answered, step, escalation: { ...escalation, level: result.level } };
}

/**
 * The resident accepted the offer of a worker after a `moderate` (or lower) outcome: a non-urgent case.
 * Returns undefined when the screening is not theirs or not finished.
 */
export async function requestCallback(
  deps: TScreeningDeps,
  input: { residentId: string; screeningId: string },
): Promise<TOpenCaseOutcome | undefined> {
  const row = await currentClient(deps.prisma).screening.findFirst({
    where: { id: input.screeningId, residentId: input.residentId, status: 'completed' },
  });
  if (!row) return undefined;
  const script = await deps.scripts.get(row.scriptId, row.scriptVersion);
  if (!script) return undefined;
  const finished = submitAnswer(script, await readState(deps, row.id, row.stateSealed), '');
  if (finished.type !== 'done') return undefined;
  const level = compareLevels(finished.result.level, 'moderate') >= 0 ? 'moderate' : 'low';
  return openScreeningCase(deps, input.residentId, row.id, finished, level, 'callback-request');
}

/** `/cancel`: leaves the screening; its answers go too when the resident asks (`discard`). */
export async function cancelScreening(
  deps: TScreeningDeps,
  input: { residentId: string; discard: boolean },
): Promise<'cancelled' | 'none'> {
  const db = currentClient(deps.prisma);
  const where = { residentId: input.residentId, status: 'active' };
  activeScreenings()?.set(input.residentId, null);
  const { count } = input.discard
    ? await db.screening.deleteMany({ where })
    : await db.screening.updateMany({ where, data: { status: 'cancelled', completedAt: new Date() } });
  return count > 0 ? 'cancelled' : 'none';
}

/** Forgets the answers of the resident's most recent cancelled screening (the "discard" button after /cancel). */
export async function discardCancelledScreening(deps: TScreeningDeps, residentId: string): Promise<boolean> {
  const db = currentClient(deps.prisma);
  const latest = await db.screening.findFirst({
    where: { residentId, status: 'cancelled' },
    orderBy: { completedAt: 'desc' },
  });
  if (!latest) return false;
  await db.screening.delete({ where: { id: latest.id } });
  return true;
}

async function openScreeningCase(
  deps: TScreeningDeps,
  residentId: string,
  screeningId: string,
  done: TDoneStep,
  level: Exclude<TRiskLevel, 'none'>,
  source: 'screening' | 'callback-request',
): Promise<TOpenCaseOutcome> {
  const { result } = done;
  return openOrRaiseCase(deps, {
    residentId,
    level,
    source,
    score: topScore(result.scores),
    screening: screeningDetails(screeningId, result, result),
    signals: grievanceSignals(deps, done),
  });
}

async function hasOpenCaseAtLeast(
  deps: TScreeningDeps,
  residentId: string,
  level: TRiskLevel,
): Promise<boolean> {
  const open = await findOpenCase(deps, residentId);
  return open !== null && compareLevels(open.level as TRiskLevel, level) >= 0;
}

/** What a case keeps of a screening, in the shape workers read: per-indicator scores and the reasons. */
function screeningDetails(
  screeningId: string,
  script: { scriptId: string; scriptVersion: number },
  scoring: Pick<TScoring, 'scores' | 'explanation'>,
) {
  return {
    id: screeningId,
    scriptId: script.scriptId,
    scriptVersion: script.scriptVersion,
    scores: scoring.scores as unknown as Prisma.InputJsonValue,
    explanation: scoring.explanation as unknown as Prisma.InputJsonValue,
  };
}

/** Orders cases within a level: the indicator total that matters most. */
function topScore(scores: Readonly<Record<string, TIndicatorScore>>): number {
  return Math.max(0, ...Object.values(scores).map((score) => score.total));
}

/** The free text of the whole screening, scored for grievance: a signal for the worker, never the level. */
function grievanceSignals(deps: TScreeningDeps, done: TDoneStep) {
  const lexicon = deps.grievanceLexicons?.[done.result.locale];
  if (!lexicon) return undefined;
  const texts = Object.values(done.state.answers).flatMap((answer) =>
    answer.type === 'text' ? [answer.text] : [],
  );
  return texts.length === 0 ? undefined : { grievance: scoreGrievance(texts.join('\n'), lexicon) };
}

/**
 * The free-text answers of a screening, in the order they were asked: a case's worker reads them as the
 * resident wrote them. Empty when the screening is gone (discarded, erased) or its state no longer opens.
 */
export async function freeTextAnswersOf(
  deps: Pick<TScreeningDeps, 'prisma' | 'protector'>,
  screeningId: string,
): Promise<Array<{ questionId: string; text: string }>> {
  const row = await currentClient(deps.prisma).screening.findUnique({
    where: { id: screeningId },
    select: { stateSealed: true },
  });
  if (!row) return [];
  let state: TScriptState;
  try {
    state = await readState(deps, screeningId, row.stateSealed);
  } catch {
    return [];
  }
  return state.path.flatMap((questionId) => {
    const answer = state.answers[questionId];
    return answer?.type === 'text' && answer.text.trim() !== '' ? [{ questionId, text: answer.text }] : [];
  });
}

/**
 * The needs a finished screening showed (the script's community themes): what support groups are matched on.
 * Empty when the screening is gone or no longer opens.
 */
export async function needsOfScreening(
  deps: Pick<TScreeningDeps, 'prisma' | 'protector' | 'scripts'>,
  screeningId: string,
): Promise<string[]> {
  const row = await currentClient(deps.prisma).screening.findUnique({
    where: { id: screeningId },
    select: { stateSealed: true, scriptId: true, scriptVersion: true },
  });
  const script = row ? await deps.scripts.get(row.scriptId, row.scriptVersion) : undefined;
  if (!row || !script) return [];
  try {
    const state = await readState(deps, screeningId, row.stateSealed);
    return communityTallyOf(script, state.answers, scoreAnswers(script, state.answers)).themes;
  } catch {
    return [];
  }
}

const ACTIVE_SCREENINGS = Symbol('active-screenings');

/** The active screening row of each resident, as this unit of work read it (and wrote it since). */
function activeScreenings() {
  return unitCache<Screening | null>(ACTIVE_SCREENINGS);
}

/** The resident's screening under way as the update's snapshot read it. */
export function primeActiveScreening(residentId: string, row: Screening | null): void {
  activeScreenings()?.set(residentId, row);
}

/** Screenings changed outside this module in this unit of work (an erasure): read them again. */
export function forgetScreenings(): void {
  activeScreenings()?.clear();
}

async function loadActive(deps: TScreeningDeps, residentId: string): Promise<TActive | undefined> {
  const cache = activeScreenings();
  let row = cache?.get(residentId);
  if (row === undefined) {
    row = await currentClient(deps.prisma).screening.findFirst({
      where: { residentId, status: 'active' },
      orderBy: { startedAt: 'desc' },
    });
    cache?.set(residentId, row);
  }
  if (!row) return undefined;
  const script = await deps.scripts.get(row.scriptId, row.scriptVersion);
  if (!script)
    throw new Error(`Screening ${row.id} names unpublished script ${row.scriptId}@${row.scriptVersion}`);
  return {
    id: row.id,
    script,
    state: await readState(deps, row.id, row.stateSealed),
    promptMessageId: row.promptMessageId,
  };
}

async function readState(
  deps: Pick<TScreeningDeps, 'protector'>,
  screeningId: string,
  sealed: string,
): Promise<TScriptState> {
  return JSON.parse(deps.protector.open(sealed, stateContext(screeningId))) as TScriptState;
}

/**
 * Stores the engine's new state, sealed. Written at the commit, with the update's other writes in one
 * statement: nothing in the unit reads it back from the database (they read the unit's copy, kept here).
 */
async function saveState(deps: TScreeningDeps, screeningId: string, state: TScriptState): Promise<void> {
  const stateSealed = sealState(deps, screeningId, state);
  await deferWrite(
    deps.prisma,
    `screening-state:${screeningId}`,
    Prisma.sql`UPDATE "Screening" SET "stateSealed" = ${stateSealed} WHERE id = ${screeningId}`,
  );
  for (const row of activeScreenings()?.values() ?? [])
    if (row?.id === screeningId) row.stateSealed = stateSealed;
}

function sealState(deps: TScreeningDeps, screeningId: string, state: TScriptState): string {
  return deps.protector.seal(JSON.stringify(state), stateContext(screeningId));
}

function scriptLocale(script: TScript, locale: string): string {
  return resolveLocale(script, locale) ?? script.locales[0] ?? locale;
}
