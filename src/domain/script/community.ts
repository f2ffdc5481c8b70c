import type { TAnswers } from './answer.ts';
import { holds } from './condition.ts';
import type { TScript } from './schema.ts';
import type { TScoring } from './scoring.ts';

/**
 * The area question's option for "I'd rather not say": an answer, but not an area, so it is counted like no
 * answer (never as a row of its own).
 */
export const DECLINED_AREA_OPTION = 'rather_not_say';

/** What the community picture keeps of one finished screening: nothing that says whose it was. */
export type TCommunityTally = {
  level: string;
  /** Each indicator's band name. */
  bands: Record<string, string>;
  /** The ids of the script's grievance themes the answers showed. */
  themes: string[];
  /** The option chosen at the script's area question; undefined when it asks none or it was not answered. */
  area: string | undefined;
};

/**
 * A finished screening reduced to what the community picture counts.
 *
 * @example
 * communityTallyOf(script, answers, scoring) // { level: 'moderate', bands: { distress: 'moderate' }, themes: ['injustice'], area: 'riverside' }
 */
export function communityTallyOf(script: TScript, answers: TAnswers, scoring: TScoring): TCommunityTally {
  const community = script.community;
  const totals = Object.fromEntries(Object.entries(scoring.scores).map(([id, score]) => [id, score.total]));
  const context = { answers, totals };
  const area = community?.area === undefined ? undefined : answers[community.area];
  return {
    level: scoring.level,
    bands: Object.fromEntries(Object.entries(scoring.scores).map(([id, score]) => [id, score.band])),
    themes: (community?.themes ?? []).filter((theme) => holds(theme.when, context)).map((theme) => theme.id),
    area: area?.type === 'option' && area.optionId !== DECLINED_AREA_OPTION ? area.optionId : undefined,
  };
}
