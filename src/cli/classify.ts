import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { describeCrisisReason, detectCrisis } from '../domain/risk/crisis.ts';
import { combineCrisisReadings, contextCuesIn, type TCrisisContext } from '../domain/risk/crisis-combine.ts';
import { readWithModel } from '../domain/risk/crisis-model.ts';
import { loadCrisisModel } from '../services/crisis-model-files.ts';
import { isRiskLocale, loadCrisisPatterns, RISK_LOCALES } from '../services/load-risk-data.ts';

/**
 * Classify messages for crisis language from the command line, for admins testing patterns:
 *
 *   npm run --silent classify -- --locale en < messages.txt
 *
 * Reads one message per line from stdin and prints one JSON object per line:
 * `{"level":"none|concern|high|imminent","kind":"self|others"|null,"reasons":["<id>: <explanation> [\"<span>\"]"],
 * "rules":"<the rules' level>","model":{"level":"none|concern|high","probabilities":{…}}|null,"context":{…}|null}`:
 * the rules, the learned model (`--no-model`: left out) and the context given with `--context open-case|screening`
 * (as the bot reads someone with an open case or a recent high screening), combined as the bot combines them.
 * Empty (or whitespace-only) lines are skipped, so output line N is not always input line N when the input
 * has blank lines. Exit codes: 0 done, 1 the pattern file is invalid, 2 bad arguments or unknown locale.
 */

const USAGE = `usage: classify --locale <${RISK_LOCALES.join('|')}> [--patterns-dir <dir>] [--no-model] [--context open-case|screening] < messages.txt`;

function fail(message: string, code: number): never {
  process.stderr.write(`classify: ${message}\n`);
  if (code === 2) process.stderr.write(`${USAGE}\n`);
  process.exit(code);
}

let values: {
  locale?: string;
  'patterns-dir'?: string;
  help?: boolean;
  'no-model'?: boolean;
  context?: string;
};
try {
  ({ values } = parseArgs({
    options: {
      locale: { type: 'string', short: 'l' },
      'patterns-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      'no-model': { type: 'boolean' },
      context: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (error) {
  fail(error instanceof Error ? error.message : String(error), 2);
}

if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (values.locale === undefined) fail('--locale is required', 2);
if (!isRiskLocale(values.locale)) {
  fail(`unknown locale "${values.locale}" (known: ${RISK_LOCALES.join(', ')})`, 2);
}

if (values.context !== undefined && values.context !== 'open-case' && values.context !== 'screening') {
  fail(`--context is open-case or screening, not "${values.context}"`, 2);
}
const context: TCrisisContext | undefined =
  values.context === undefined ? undefined : { reason: values.context, level: 'high' };
const model = values['no-model'] ? undefined : loadCrisisModel(values.locale);

const loaded = loadCrisisPatterns(values.locale, { dir: values['patterns-dir'] });
if (!loaded.ok) fail(`invalid crisis patterns:\n  ${loaded.errors.join('\n  ')}`, 1);
const patterns = loaded.value;

const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
for await (const line of lines) {
  if (line.trim() === '') continue;
  const rules = detectCrisis(line, patterns);
  const reading = model && rules.level !== 'imminent' ? readWithModel(model, line) : undefined;
  const cues = context ? contextCuesIn([patterns], line) : [];
  const signals = combineCrisisReadings(rules, reading, context, cues);
  const output = {
    level: signals.level,
    kind: signals.kind,
    reasons: signals.reasons.map(describeCrisisReason),
    rules: rules.level,
    model: reading ? { level: reading.level, probabilities: roundAll(reading.probabilities) } : null,
    context: context ?? null,
  };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

function roundAll(probabilities: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(probabilities).map(([label, p]) => [label, Math.round(p * 1000) / 1000]),
  );
}
