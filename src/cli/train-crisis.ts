/**
 * `npm run train:crisis`: rebuilds the crisis model of every locale from its corpus
 * (`conversation-scripts/crisis-model/corpus/<locale>/*.tsv`) into `conversation-scripts/crisis-model/<locale>.json`.
 * Deterministic: the same corpus and patterns give the same file. The version goes up when the corpus changed.
 * The thresholds are chosen with the shipped patterns (every locale's), so retrain after changing them. Prints how
 * the model did in cross-validation (one writer held out at a time), alone and with the rules, per label.
 */
import { trainCrisisModel } from '../domain/risk/train-crisis-model.ts';
import {
  loadCrisisModel,
  readTrainingCorpus,
  rulesForTraining,
  writeCrisisModel,
} from '../services/crisis-model-files.ts';
import { loadCrisisPatterns, RISK_LOCALES } from '../services/load-risk-data.ts';

// The thresholds are chosen with the rules as the bot reads a message: every locale's patterns.
const rules = rulesForTraining(
  RISK_LOCALES.map((locale) => {
    const loaded = loadCrisisPatterns(locale);
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    return loaded.value;
  }),
);

for (const locale of RISK_LOCALES) {
  const corpus = readTrainingCorpus(locale);
  const previous = loadCrisisModel(locale);
  const version =
    previous === undefined
      ? 1
      : previous.trainedOn.corpusSha256 === corpus.sha256
        ? previous.version
        : previous.version + 1;
  const started = performance.now();
  const { model, crossValidation } = trainCrisisModel(corpus.messages, {
    locale,
    version,
    corpusSha256: corpus.sha256,
    ...rules,
  });
  const path = writeCrisisModel(model);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `${locale}: ${corpus.messages.length} messages from ${corpus.files.length} files, ` +
      `${Object.keys(model.weights).length} features, version ${version}, ${seconds} s -> ${path}\n` +
      `  thresholds: concern ${model.thresholds.concern}, high ${model.thresholds.high}, ` +
      `agree (rules concern -> high) ${model.thresholds.agree}\n` +
      `  cross-validated, one writer held out at a time (${crossValidation.folds} folds); ` +
      'label: reads high or above / reads any level, model alone | rules and model:\n',
  );
  for (const [label, entry] of Object.entries(crossValidation.byLabel)) {
    const both = crossValidation.combined[label as keyof typeof crossValidation.combined];
    process.stdout.write(
      `    ${label.padEnd(9)} ${entry.high}/${entry.messages} / ${entry.any}/${entry.messages}` +
        ` | ${both.high}/${both.messages} / ${both.any}/${both.messages}\n`,
    );
  }
  // The writers' files only: the rounds (earlier rounds, blind rounds copied in) were tuned on by the rules.
  const writers = Object.entries(crossValidation.combinedByGroup).filter(([file]) =>
    file.startsWith('writer-'),
  );
  process.stdout.write(`  rules and model, the ${writers.length} writers' files only:\n`);
  for (const label of Object.keys(crossValidation.combined) as Array<keyof typeof crossValidation.combined>) {
    const sum = { messages: 0, high: 0, any: 0 };
    for (const [, counts] of writers) {
      sum.messages += counts[label].messages;
      sum.high += counts[label].high;
      sum.any += counts[label].any;
    }
    process.stdout.write(`    ${label.padEnd(9)} ${sum.high}/${sum.messages} / ${sum.any}/${sum.messages}\n`);
  }
}
