import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { describeCrisisReason, detectCrisis } from '../domain/risk/crisis.ts';
import { isRiskLocale, loadCrisisPatterns, RISK_LOCALES } from '../services/load-risk-data.ts';

/**
 * Classify messages for crisis language from the command line, for admins testing patterns:
 *
 *   npm run --silent classify -- --locale en < messages.txt
 *
 * Reads one message per line from stdin and prints one JSON object per line:
 * `{"level":"none|concern|imminent","kind":"self|others"|null,"reasons":["<id>: <explanation> [\"<span>\"]"]}`.
 * Empty (or whitespace-only) lines are skipped, so output line N is not always input line N when the input
 * has blank lines. Exit codes: 0 done, 1 the pattern file is invalid, 2 bad arguments or unknown locale.
 */

const USAGE = `usage: classify --locale <${RISK_LOCALES.join('|')}> [--patterns-dir <dir>] < messages.txt`;

function fail(message: string, code: number): never {
  process.stderr.write(`classify: ${message}\n`);
  if (code === 2) process.stderr.write(`${USAGE}\n`);
  process.exit(code);
}

let values: { locale?: string; 'patterns-dir'?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      locale: { type: 'string', short: 'l' },
      'patterns-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
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

const loaded = loadCrisisPatterns(values.locale, { dir: values['patterns-dir'] });
if (!loaded.ok) fail(`invalid crisis patterns:\n  ${loaded.errors.join('\n  ')}`, 1);
const patterns = loaded.value;

const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
for await (const line of lines) {
  if (line.trim() === '') continue;
  const signals = detectCrisis(line, patterns);
  const output = {
    level: signals.level,
    kind: signals.kind,
    reasons: signals.reasons.map(describeCrisisReason),
  };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}
