/**
 * `npm run train:crisis`: rebuilds the crisis model of every locale from its corpus
 * (`conversation-scripts/crisis-model/corpus/<locale>/*.tsv`) into `conversation-scripts/crisis-model/<locale>.json`.
 * Deterministic: the same corpus gives the same file. The version goes up when the corpus changed. Prints how
 * the model alone did in cross-validation, per label.
 */
import { trainCrisisModel } from '../domain/risk/train-crisis-model.ts';
import { loadCrisisModel, readTrainingCorpus, writeCrisisModel } from '../services/crisis-model-files.ts';
import { RISK_LOCALES } from '../services/load-risk-data.ts';

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
  });
  const path = writeCrisisModel(model);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `${locale}: ${corpus.messages.length} messages from ${corpus.files.length} files, ` +
      `${Object.keys(model.weights).length} features, version ${version}, ${seconds} s -> ${path}\n` +
      `  thresholds: concern ${model.thresholds.concern}, high ${model.thresholds.high}\n` +
      '  cross-validated, model alone (label: reads high / reads any level):\n',
  );
  for (const [label, entry] of Object.entries(crossValidation.byLabel)) {
    process.stdout.write(
      `    ${label.padEnd(9)} ${entry.high}/${entry.messages} / ${entry.any}/${entry.messages}\n`,
    );
  }
}
