import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { detectCrisis, type TCrisisLevel } from '../domain/risk/crisis.ts';
import { modelDamperIn } from '../domain/risk/crisis-combine.ts';
import {
  MODEL_LABELS,
  type TCrisisModel,
  type TModelLabel,
  ZCrisisModel,
} from '../domain/risk/crisis-model.ts';
import type { TCrisisPatterns } from '../domain/risk/crisis-patterns.ts';
import type { TLabelledMessage, TTrainingOptions } from '../domain/risk/train-crisis-model.ts';

/**
 * Where the crisis model lives: its training corpus (`corpus/<locale>/*.tsv`, `label<TAB>tag<TAB>text`, one
 * file per writer) and the trained model (`<locale>.json`), under `conversation-scripts/crisis-model/`.
 */
export const CRISIS_MODEL_DIR = new URL('../../conversation-scripts/crisis-model/', import.meta.url);

export type TCorpus = { messages: TLabelledMessage[]; sha256: string; files: string[] };

/**
 * Reads a locale's training corpus, files in name order, comments (`#`) and blank lines skipped; the hash
 * covers every file's bytes, so a model names exactly what it was trained on.
 *
 * @throws {Error} naming the file and line of a malformed line.
 */
export function readTrainingCorpus(locale: string, dir: URL = CRISIS_MODEL_DIR): TCorpus {
  const folder = new URL(`corpus/${locale}/`, dir);
  const files = readdirSync(folder)
    .filter((name) => name.endsWith('.tsv'))
    .sort();
  const hash = createHash('sha256');
  const messages: TLabelledMessage[] = [];
  for (const name of files) {
    const content = readFileSync(new URL(name, folder), 'utf8');
    hash.update(name).update('\0').update(content);
    content.split('\n').forEach((line, index) => {
      if (line.trim() === '' || line.startsWith('#')) return;
      const [label, , text] = line.split('\t');
      if (!MODEL_LABELS.includes(label as TModelLabel) || !text?.trim())
        throw new Error(`${name}:${index + 1}: expected label<TAB>tag<TAB>text`);
      messages.push({ label: label as TModelLabel, text, group: name });
    });
  }
  return { messages, sha256: hash.digest('hex'), files };
}

/** A model file as the bot reads it, checked; undefined when there is none for the locale. */
export function loadCrisisModel(locale: string, dir: URL = CRISIS_MODEL_DIR): TCrisisModel | undefined {
  let text: string;
  try {
    text = readFileSync(new URL(`${locale}.json`, dir), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = ZCrisisModel.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${locale}.json: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** The models of these locales (a locale without one is read by its rules alone). */
export function loadCrisisModels(locales: readonly string[], dir: URL = CRISIS_MODEL_DIR): TCrisisModel[] {
  return locales.flatMap((locale) => loadCrisisModel(locale, dir) ?? []);
}

/** Writes a model as the trainer made it: one feature per line, so a retrain's diff reads. */
export function writeCrisisModel(model: TCrisisModel, dir: URL = CRISIS_MODEL_DIR): string {
  const { weights, ...rest } = model;
  const lines = Object.entries(weights).map(
    ([feature, row]) => `    ${JSON.stringify(feature)}: ${JSON.stringify(row)}`,
  );
  const head = JSON.stringify(rest, null, 2).replace(/\n}$/, '');
  const text = `${head},\n  "weights": {\n${lines.join(',\n')}\n  }\n}\n`;
  const path = fileURLToPath(new URL(`${model.locale}.json`, dir));
  writeFileSync(path, text);
  return path;
}

const RULE_RANK: Readonly<Record<TCrisisLevel, number>> = { none: 0, concern: 1, high: 2, imminent: 3 };

/**
 * What the trainer needs of the rules (`npm run train:crisis` and the test that rebuilds a model): the level
 * every locale's patterns read for a message, as for a first message (strongest wins, no model, no context),
 * and the patterns' versions for the record. The model's thresholds are chosen with these rules: a change to
 * the patterns calls for a retrain.
 */
export function rulesForTraining(
  patterns: readonly TCrisisPatterns[],
): Required<Pick<TTrainingOptions, 'rulesLevel' | 'patterns' | 'damped'>> {
  return {
    damped: (text) => modelDamperIn(patterns, text) !== undefined,
    rulesLevel: (text) => {
      let level: TCrisisLevel = 'none';
      for (const set of patterns) {
        const read = detectCrisis(text, set).level;
        if (RULE_RANK[read] > RULE_RANK[level]) level = read;
      }
      return level;
    },
    patterns: Object.fromEntries(patterns.map((set) => [set.locale, set.version])),
  };
}
