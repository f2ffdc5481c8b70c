import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TCrisisModel } from '../domain/risk/crisis-model.ts';
import {
  parseCrisisPatterns,
  type TCrisisPatterns,
  type TParseResult,
} from '../domain/risk/crisis-patterns.ts';
import {
  parseGrievanceDictionaryCsv,
  parseGrievanceLexiconYaml,
  type TGrievanceLexicon,
} from '../domain/risk/grievance-lexicon.ts';
import { loadCrisisModels } from './crisis-model-files.ts';

/**
 * Reads the risk data files (crisis patterns, crisis models, grievance lexicons) from disk and hands their text to the pure
 * parsers in `src/domain/risk`. Call once at start-up and keep the results: parsing compiles regexes and indexes.
 */

/** Locales that ship crisis patterns (`conversation-scripts/crisis-patterns/<locale>.yaml`). */
export const RISK_LOCALES = ['en', 'zh-CN'] as const;
export type TRiskLocale = (typeof RISK_LOCALES)[number];

export function isRiskLocale(value: unknown): value is TRiskLocale {
  return typeof value === 'string' && (RISK_LOCALES as readonly string[]).includes(value);
}

const DEFAULT_CRISIS_DIR = new URL('../../conversation-scripts/crisis-patterns/', import.meta.url);
const DEFAULT_GRIEVANCE_DIR = new URL('../../conversation-scripts/grievance-dictionary/', import.meta.url);

export interface TRiskDataOptions {
  /** Folder holding the data files; defaults to the shipped folder under `conversation-scripts/`. */
  dir?: string | URL;
  /** Terms an admin added to the crisis patterns' word lists at run time, by list name. */
  lexiconAdditions?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Load and compile one locale's crisis patterns. Errors (missing file, bad YAML, invalid regex) come back as
 * an error result naming the file.
 *
 * @example
 * const result = loadCrisisPatterns('zh-CN');
 * if (!result.ok) throw new Error(result.errors.join('\n'));
 * const patterns = result.value;
 */
export function loadCrisisPatterns(
  locale: string,
  options: TRiskDataOptions = {},
): TParseResult<TCrisisPatterns> {
  const file = new URL(`${encodeURIComponent(locale)}.yaml`, toDirUrl(options.dir ?? DEFAULT_CRISIS_DIR));
  const text = readText(file);
  if (!text.ok) return text;
  const parsed = parseCrisisPatterns(text.value, options.lexiconAdditions);
  if (!parsed.ok)
    return { ok: false, errors: parsed.errors.map((error) => `${fileURLToPath(file)}: ${error}`) };
  if (parsed.value.locale !== locale) {
    return {
      ok: false,
      errors: [`${fileURLToPath(file)}: locale is "${parsed.value.locale}", expected "${locale}"`],
    };
  }
  return parsed;
}

/** The grievance lexicons by locale: the Grievance Dictionary for `en`, our own lexicon for `zh-CN`. */
export type TGrievanceLexicons = Readonly<Record<TRiskLocale, TGrievanceLexicon>>;

/**
 * Load both grievance lexicons (`dictionary_7plus.csv` and `zh-CN.yaml`).
 *
 * @example
 * const lexicons = loadGrievanceLexicons();
 * if (lexicons.ok) scoreGrievance(conversationText, lexicons.value.en);
 */
export function loadGrievanceLexicons(options: TRiskDataOptions = {}): TParseResult<TGrievanceLexicons> {
  const dir = toDirUrl(options.dir ?? DEFAULT_GRIEVANCE_DIR);
  const csvFile = new URL('dictionary_7plus.csv', dir);
  const yamlFile = new URL('zh-CN.yaml', dir);
  const csv = readText(csvFile);
  const yaml = readText(yamlFile);
  const errors = [...(csv.ok ? [] : csv.errors), ...(yaml.ok ? [] : yaml.errors)];
  if (!csv.ok || !yaml.ok) return { ok: false, errors };
  const en = parseGrievanceDictionaryCsv(csv.value);
  const zh = parseGrievanceLexiconYaml(yaml.value);
  if (!en.ok) errors.push(...en.errors.map((error) => `${fileURLToPath(csvFile)}: ${error}`));
  if (!zh.ok) errors.push(...zh.errors.map((error) => `${fileURLToPath(yamlFile)}: ${error}`));
  if (!en.ok || !zh.ok) return { ok: false, errors };
  return { ok: true, value: { en: en.value, 'zh-CN': zh.value } };
}

function toDirUrl(dir: string | URL): URL {
  const url = dir instanceof URL ? dir : pathToFileURL(resolve(dir));
  return url.href.endsWith('/') ? url : new URL(`${url.href}/`);
}

function readText(file: URL): TParseResult<string> {
  try {
    return { ok: true, value: readFileSync(file, 'utf8') };
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    return { ok: false, errors: [`${fileURLToPath(file)}: cannot read (${reason})`] };
  }
}

/** Raised at start when a shipped or admin-edited risk data file is broken: the bot must not run blind. */
export class RiskDataError extends Error {
  override readonly name = 'RiskDataError';
  readonly code = 'RISK_DATA_INVALID';
  constructor(readonly problems: readonly string[]) {
    super(`The risk data files have problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Everything the bot reads risk with: crisis patterns for every locale (each message is read with all of
 * them) and the grievance lexicons. Throws {@link RiskDataError} listing every problem.
 */
export function loadRiskData(options: { crisisDir?: string | URL; grievanceDir?: string | URL } = {}): {
  crisisPatterns: TCrisisPatterns[];
  crisisModels: TCrisisModel[];
  grievanceLexicons: TGrievanceLexicons;
} {
  const patterns = RISK_LOCALES.map((locale) => loadCrisisPatterns(locale, { dir: options.crisisDir }));
  const lexicons = loadGrievanceLexicons({ dir: options.grievanceDir });
  const models = loadModelsOrProblem();
  const problems = [
    ...patterns.flatMap((p) => (p.ok ? [] : p.errors)),
    ...(lexicons.ok ? [] : lexicons.errors),
    ...(models.ok ? [] : [models.error]),
  ];
  if (problems.length > 0 || !lexicons.ok || !models.ok) throw new RiskDataError(problems);
  return {
    crisisPatterns: patterns.flatMap((p) => (p.ok ? [p.value] : [])),
    crisisModels: models.value,
    grievanceLexicons: lexicons.value,
  };
}

function loadModelsOrProblem(): { ok: true; value: TCrisisModel[] } | { ok: false; error: string } {
  try {
    return { ok: true, value: loadCrisisModels(RISK_LOCALES) };
  } catch (error) {
    return { ok: false, error: `crisis model: ${(error as Error).message}` };
  }
}
