import type { i18n } from 'i18next';
import {
  renderCaseSummary,
  type TCaseView,
  type TSummaryOptions,
  type TTranslate,
} from '../domain/escalation/index.ts';
import type { Case } from '../generated/prisma/client.ts';
import { openCaseSignals } from './case-signals.ts';
import type { TDataProtector } from './data-protection.ts';

export const CLAIM_CALLBACK_PREFIX = 'claim:';
export const DETAILS_CALLBACK_PREFIX = 'details:';

/**
 * A case row as `renderCaseSummary` reads it, its signals unsealed. Signals that cannot be opened (a missing
 * key) are left out rather than stopping a page: reaching a worker matters more than the detail.
 *
 * @example
 * const text = renderCaseSummary(t, caseViewOf(protector, row), { now });
 */
export function caseViewOf(
  protector: TDataProtector,
  row: Pick<
    Case,
    'id' | 'level' | 'score' | 'source' | 'createdAt' | 'scores' | 'explanation' | 'signalsSealed'
  >,
): TCaseView {
  const signals = openCaseSignals(protector, row.signalsSealed);
  return {
    id: row.id,
    level: row.level,
    score: row.score,
    source: row.source,
    createdAt: row.createdAt,
    scores: row.scores,
    explanation: row.explanation,
    signals,
  };
}

/** The `pages` namespace in one locale (English for a locale we do not ship). */
export function pagesTranslator(i18n: i18n, locale: string): TTranslate {
  const t = i18n.getFixedT(locale, 'pages');
  return (key, values) => String(t(key, values));
}

/**
 * The page one worker receives: the case summary in their language, and Claim / Details buttons (the
 * worker commands answer `claim:<id>` and `details:<id>`).
 *
 * @example
 * const { text, buttons } = renderPage(i18n, 'zh-CN', view, { now, paged: { step: 1, audiences: ['on-call'] } });
 */
export function renderPage(
  i18n: i18n,
  locale: string,
  view: TCaseView,
  options: Omit<TSummaryOptions, 'locale'> & { paged: NonNullable<TSummaryOptions['paged']> },
): { text: string; buttons: Array<Array<{ label: string; data: string }>> } {
  const t = pagesTranslator(i18n, locale);
  return {
    text: `${renderCaseSummary(t, view, { ...options, locale })}\n\n${t('page.footer')}`,
    buttons: [
      [
        { label: t('buttons.claim'), data: `${CLAIM_CALLBACK_PREFIX}${view.id}` },
        { label: t('buttons.details'), data: `${DETAILS_CALLBACK_PREFIX}${view.id}` },
      ],
    ],
  };
}
