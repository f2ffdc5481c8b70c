import {
  cleanToken,
  LEXICON_TOKEN_RE,
  stemToken,
  type TGrievanceCategory,
  type TGrievanceLexicon,
  type TStemmedLexicon,
  type TSubstringLexicon,
} from './grievance-lexicon.ts';
import { foldText } from './normalise.ts';

/**
 * Grievance signals for the free text of a whole conversation.
 *
 * Scores follow the Grievance Dictionary authors: per category, matches divided by total words. They describe
 * language, not a person: the worker sees them beside the answers, with the words that produced them, and
 * they are never folded into the risk level.
 */

/** Below this many words the authors consider the proportions unstable. */
export const SHORT_TEXT_WORDS = 50;
const TOP_TERMS = 5;
const EXAMPLES_PER_TERM = 3;

export interface TGrievanceTerm {
  /** The lexicon term as written there (stemmed for English: `injustic`). */
  term: string;
  count: number;
  /** Up to three forms as the resident wrote them (`injustice`, `unjustly`), so the stem makes sense. */
  examples: string[];
}

export interface TGrievanceCategorySignal {
  category: TGrievanceCategory;
  matches: number;
  /** `matches / wordCount` (0 when there are no words). */
  proportion: number;
  /** The most frequent matched terms, the reasons behind the proportion. */
  topTerms: TGrievanceTerm[];
}

/** Signals for a trained worker, never a verdict; holds the resident's words, so store and show it like them. */
export interface TGrievanceSignals {
  type: 'grievance-signals';
  lexicon: { name: string; locale: string; method: TGrievanceLexicon['method'] };
  wordCount: number;
  /** Fewer than {@link SHORT_TEXT_WORDS} words: show the worker that the proportions are unstable. */
  isShortText: boolean;
  /** Every category of the lexicon, in the lexicon's order, including those with no matches. */
  categories: TGrievanceCategorySignal[];
}

/**
 * Score text (all of a conversation's free-text answers and messages, joined) against a grievance lexicon.
 *
 * English: the text is tokenised and Porter-stemmed like the dictionary, then matched token by token; a
 * multi-word entry ("no way out") wins over its first word within a category, and matches in one category do
 * not overlap. Chinese: lexicon terms are found as substrings, longest first, without overlap per category;
 * words are counted as Han characters / 2 (rounded up, Chinese words average under two characters) plus
 * Latin or digit tokens, so the 50-word threshold means about 100 characters of Chinese.
 *
 * @example
 * const signals = scoreGrievance(answers.join('\n'), lexicons.en);
 * signals.isShortText; // true under 50 words
 * signals.categories.find((c) => c.category === 'grievance')?.topTerms; // [{ term: 'unfair', count: 2, … }]
 */
export function scoreGrievance(text: string, lexicon: TGrievanceLexicon): TGrievanceSignals {
  const folded = foldText(text);
  const { wordCount, hits } =
    lexicon.method === 'stemmed-tokens' ? matchStemmed(folded, lexicon) : matchSubstrings(folded, lexicon);
  return {
    type: 'grievance-signals',
    lexicon: { name: lexicon.name, locale: lexicon.locale, method: lexicon.method },
    wordCount,
    isShortText: wordCount < SHORT_TEXT_WORDS,
    categories: lexicon.categories.map((category) =>
      summarise(category, hits.get(category) ?? [], wordCount),
    ),
  };
}

interface THit {
  term: string;
  surface: string;
}

type THits = Map<TGrievanceCategory, THit[]>;

function matchStemmed(text: string, lexicon: TStemmedLexicon): { wordCount: number; hits: THits } {
  const surfaces = (text.match(LEXICON_TOKEN_RE) ?? []).map(cleanToken);
  const stems = surfaces.map(stemToken);
  const hits: THits = new Map();
  const freeFrom = new Map<TGrievanceCategory, number>();
  const record = (category: TGrievanceCategory, term: string, surface: string) => {
    const list = hits.get(category) ?? [];
    list.push({ term, surface });
    hits.set(category, list);
  };

  for (const [index, stem] of stems.entries()) {
    const candidates = lexicon.phrasesByFirstToken.get(stem) ?? [];
    let matchedAny = false;
    for (const entry of candidates) {
      if (!entry.tokens.every((token, offset) => stems[index + offset] === token)) continue;
      for (const category of entry.categories) {
        if ((freeFrom.get(category) ?? 0) > index) continue;
        freeFrom.set(category, index + entry.tokens.length);
        record(category, entry.term, surfaces.slice(index, index + entry.tokens.length).join(' '));
        matchedAny = true;
      }
    }
    const surface = surfaces[index] ?? '';
    if (matchedAny || !surface.includes('-')) continue;
    // "ex-boss", "over-worked": fall back to the parts when the hyphenated whole is not an entry.
    for (const part of surface.split('-')) {
      for (const entry of lexicon.phrasesByFirstToken.get(stemToken(part)) ?? []) {
        if (entry.tokens.length !== 1) continue;
        for (const category of entry.categories) {
          if ((freeFrom.get(category) ?? 0) > index) continue;
          record(category, entry.term, part);
        }
      }
    }
  }
  return { wordCount: surfaces.length, hits };
}

function matchSubstrings(text: string, lexicon: TSubstringLexicon): { wordCount: number; hits: THits } {
  const compact = text.replace(/(\p{Script=Han})\s+(?=\p{Script=Han})/gu, '$1');
  const hanCount = compact.match(/\p{Script=Han}/gu)?.length ?? 0;
  const otherWords = compact.replace(/\p{Script=Han}/gu, ' ').match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
  const wordCount = Math.ceil(hanCount / 2) + otherWords;

  const taken = new Map<TGrievanceCategory, Array<[number, number]>>();
  const hits: THits = new Map();
  // Terms are sorted longest first, so "不想活" claims its characters before "活" could.
  for (const entry of lexicon.terms) {
    let from = compact.indexOf(entry.term);
    while (from !== -1) {
      const to = from + entry.term.length;
      for (const category of entry.categories) {
        const spans = taken.get(category) ?? [];
        if (spans.some(([start, end]) => start < to && from < end)) continue;
        spans.push([from, to]);
        taken.set(category, spans);
        const list = hits.get(category) ?? [];
        list.push({ term: entry.term, surface: entry.term });
        hits.set(category, list);
      }
      from = compact.indexOf(entry.term, to);
    }
  }
  return { wordCount, hits };
}

function summarise(
  category: TGrievanceCategory,
  hits: readonly THit[],
  wordCount: number,
): TGrievanceCategorySignal {
  const byTerm = new Map<string, TGrievanceTerm>();
  for (const hit of hits) {
    const term = byTerm.get(hit.term) ?? { term: hit.term, count: 0, examples: [] };
    term.count += 1;
    if (term.examples.length < EXAMPLES_PER_TERM && !term.examples.includes(hit.surface))
      term.examples.push(hit.surface);
    byTerm.set(hit.term, term);
  }
  const topTerms = [...byTerm.values()]
    .sort((a, b) => b.count - a.count || a.term.localeCompare(b.term))
    .slice(0, TOP_TERMS);
  return {
    category,
    matches: hits.length,
    proportion: wordCount === 0 ? 0 : hits.length / wordCount,
    topTerms,
  };
}
