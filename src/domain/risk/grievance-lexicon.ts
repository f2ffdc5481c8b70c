import { stemmer } from 'stemmer';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { TParseResult } from './crisis-patterns.ts';

/**
 * Grievance lexicons: the published Grievance Dictionary (English, Porter-stemmed words and phrases) and our
 * own small Simplified Chinese lexicon. Both are parsed from text handed in by the loader and indexed once.
 */

/** The 22 categories of the Grievance Dictionary (van der Vegt et al., 2021), in its own order. */
export const GRIEVANCE_CATEGORIES = [
  'deadline',
  'desperation',
  'fixation',
  'frustration',
  'god',
  'grievance',
  'hate',
  'help',
  'honour',
  'impostor',
  'jealousy',
  'loneliness',
  'murder',
  'paranoia',
  'planning',
  'relationship',
  'soldier',
  'suicide',
  'surveillance',
  'threat',
  'violence',
  'weaponry',
] as const;
export type TGrievanceCategory = (typeof GRIEVANCE_CATEGORIES)[number];

/** A lexicon entry: the term as written in the lexicon and the categories it counts towards. */
export interface TLexiconEntry {
  term: string;
  categories: readonly TGrievanceCategory[];
}

interface TPhraseEntry extends TLexiconEntry {
  tokens: readonly string[];
}

/**
 * English: matched over Porter-stemmed word tokens. Single-word entries are looked up by stem; multi-word
 * entries ("no way out", "self harm") by their first stem, longest first.
 */
export interface TStemmedLexicon {
  method: 'stemmed-tokens';
  name: string;
  locale: string;
  categories: readonly TGrievanceCategory[];
  phrasesByFirstToken: ReadonlyMap<string, readonly TPhraseEntry[]>;
}

/** Chinese: matched as substrings of the text (Chinese has no spaces between words). Longest terms first. */
export interface TSubstringLexicon {
  method: 'substring';
  name: string;
  locale: string;
  categories: readonly TGrievanceCategory[];
  terms: readonly TLexiconEntry[];
}

export type TGrievanceLexicon = TStemmedLexicon | TSubstringLexicon;

/** Tokens are words with inner hyphens, apostrophes or dots (`self-harm`, `don't`, `u.s.`). */
export const LEXICON_TOKEN_RE = /[\p{L}\p{N}]+(?:[-'.][\p{L}\p{N}]+)*\.?/gu;

/** A token as written, without a sentence-final dot (kept on abbreviations such as `u.s.`). */
export function cleanToken(token: string): string {
  return token.endsWith('.') && !token.slice(0, -1).includes('.') ? token.slice(0, -1) : token;
}

/** Porter2 (Snowball) special forms that the dictionary's stems follow and classic Porter does not. */
const PORTER2_FORMS: Readonly<Record<string, string>> = {
  died: 'die',
  dies: 'die',
  dying: 'die',
  lied: 'lie',
  lies: 'lie',
  lying: 'lie',
  tied: 'tie',
  ties: 'tie',
  tying: 'tie',
};

/**
 * Stem one token the way the dictionary's words were stemmed. The dictionary keeps a `y` after a vowel
 * (`destroy`, `way`, `die`), as Porter2 does, where the `stemmer` package (classic Porter) gives `destroi`,
 * `wai`, `di`; both differences are undone here so `destroyed`, `no way out` and `died` find their entries.
 *
 * @example
 * stemToken('Injustices') // "injustic"
 * stemToken('destroyed') // "destroy"
 */
export function stemToken(token: string): string {
  const word = cleanToken(token).toLowerCase();
  const special = PORTER2_FORMS[word];
  if (special) return special;
  const stem = stemmer(word);
  if (/[aeiou]i$/.test(stem) && word.startsWith(`${stem.slice(0, -1)}y`)) return `${stem.slice(0, -1)}y`;
  return stem;
}

/**
 * Parse `dictionary_7plus.csv` (columns: row number, category, word, mean_rating).
 *
 * @example
 * const result = parseGrievanceDictionaryCsv(csvText);
 * if (result.ok) scoreGrievance(text, result.value);
 */
export function parseGrievanceDictionaryCsv(csvText: string): TParseResult<TStemmedLexicon> {
  const errors: string[] = [];
  const lines = csvText.split(/\r?\n/);
  const header = parseCsvLine(lines[0] ?? '').map((cell) => cell.toLowerCase());
  if (header[1] !== 'category' || header[2] !== 'word') {
    return { ok: false, errors: ['line 1: expected a header with "category" and "word" as columns 2 and 3'] };
  }
  const categoriesByTerm = new Map<string, Set<TGrievanceCategory>>();
  for (const [index, line] of lines.entries()) {
    if (index === 0 || line.trim() === '') continue;
    const [, rawCategory = '', rawWord = '', rawRating = ''] = parseCsvLine(line);
    const category = rawCategory.trim().toLowerCase();
    if (!isGrievanceCategory(category)) {
      errors.push(`line ${index + 1}: unknown category "${rawCategory}"`);
      continue;
    }
    // One entry carries a stray "?" ("napalm?"); lexicon terms are words, not punctuation.
    const term = rawWord.trim().toLowerCase().replace(/\s+/g, ' ').replace(/\?+$/, '');
    if (term === '') {
      errors.push(`line ${index + 1}: empty word`);
      continue;
    }
    if (rawRating.trim() !== '' && Number.isNaN(Number(rawRating))) {
      errors.push(`line ${index + 1}: mean_rating "${rawRating}" is not a number`);
      continue;
    }
    const set = categoriesByTerm.get(term) ?? new Set<TGrievanceCategory>();
    set.add(category);
    categoriesByTerm.set(term, set);
  }
  if (errors.length > 0) return { ok: false, errors: errors.slice(0, 20) };
  if (categoriesByTerm.size === 0) return { ok: false, errors: ['the dictionary has no entries'] };

  const byFirst = new Map<string, TPhraseEntry[]>();
  for (const [term, categories] of categoriesByTerm) {
    const tokens = term.split(' ');
    const first = tokens[0];
    if (first === undefined) continue;
    const list = byFirst.get(first) ?? [];
    list.push({ term, tokens, categories: sortCategories(categories) });
    byFirst.set(first, list);
  }
  for (const list of byFirst.values()) list.sort((a, b) => b.tokens.length - a.tokens.length);
  return {
    ok: true,
    value: {
      method: 'stemmed-tokens',
      name: 'Grievance Dictionary (van der Vegt et al., 2021), words rated 7+',
      locale: 'en',
      categories: GRIEVANCE_CATEGORIES,
      phrasesByFirstToken: byFirst,
    },
  };
}

const ZCategory = z.enum(GRIEVANCE_CATEGORIES);

/** Our own substring lexicon file (e.g. `zh-CN.yaml`): categories named as in the Grievance Dictionary. */
export const ZGrievanceLexiconFile = z.strictObject({
  name: z.string().min(1),
  locale: z.string().min(2),
  version: z.number().int().positive(),
  categories: z.partialRecord(ZCategory, z.array(z.string().trim().min(1)).min(1)),
});

/** Parse a substring lexicon written in YAML (see `conversation-scripts/grievance-dictionary/zh-CN.yaml`). */
export function parseGrievanceLexiconYaml(yamlText: string): TParseResult<TSubstringLexicon> {
  let data: unknown;
  try {
    data = parseYaml(yamlText);
  } catch (error) {
    return { ok: false, errors: [`YAML: ${error instanceof Error ? error.message : String(error)}`] };
  }
  const parsed = ZGrievanceLexiconFile.safeParse(data);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map(
        (issue) => `${issue.path.map(String).join('.') || '(file)'}: ${issue.message}`,
      ),
    };
  }
  const categoriesByTerm = new Map<string, Set<TGrievanceCategory>>();
  const categories: TGrievanceCategory[] = [];
  for (const category of GRIEVANCE_CATEGORIES) {
    const terms = parsed.data.categories[category];
    if (!terms) continue;
    categories.push(category);
    for (const raw of terms) {
      const term = raw.normalize('NFKC').toLowerCase().replace(/\s+/g, '');
      const set = categoriesByTerm.get(term) ?? new Set<TGrievanceCategory>();
      set.add(category);
      categoriesByTerm.set(term, set);
    }
  }
  const terms = [...categoriesByTerm]
    .map(([term, set]) => ({ term, categories: sortCategories(set) }))
    .sort((a, b) => b.term.length - a.term.length || a.term.localeCompare(b.term));
  return {
    ok: true,
    value: { method: 'substring', name: parsed.data.name, locale: parsed.data.locale, categories, terms },
  };
}

export function isGrievanceCategory(value: string): value is TGrievanceCategory {
  return (GRIEVANCE_CATEGORIES as readonly string[]).includes(value);
}

function sortCategories(set: ReadonlySet<TGrievanceCategory>): TGrievanceCategory[] {
  return GRIEVANCE_CATEGORIES.filter((category) => set.has(category));
}

/** One CSV record on one line, with RFC 4180 quoting (the dictionary has no embedded newlines). */
function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index];
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        cell += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      cells.push(cell);
      cell = '';
    } else {
      cell += char;
    }
  }
  cells.push(cell);
  return cells;
}
