/**
 * The bench's command line. Checked at the edge: a bad argument gets one clear message and exit code 2,
 * before any bot starts.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const SCENARIOS = ['throughput', 'open-loop', 'limits', 'database-size', 'memory'] as const;
export type TScenario = (typeof SCENARIOS)[number];

export type TBenchOptions = {
  isQuick: boolean;
  rttMs: number;
  jsonFile: string | undefined;
  only: ReadonlySet<TScenario>;
  /** The Bridgeline checkout to run (`src/main.ts`, `src/cli/admin.ts`). */
  botDir: string;
  /** How long scenario 5 may take to put its residents mid-screening. */
  memoryTimeBoxMs: number;
  /** Scenario 1's measured rounds per bot, when not the plan's own (more rounds: a warmer bot, the median later). */
  rounds: number | undefined;
};

export const USAGE = `Usage: npm run bench -- [--quick] [--rtt <ms>] [--json <file>] [--only <scenario,...>] [--bot-dir <dir>] [--memory-time-box <s>] [--rounds <n>]

  --quick            a run of under a minute: fewer residents, shorter runs, scenarios 2, 4 and 5 shrunk or left out
  --rtt <ms>         the Bot API round trip the fake Telegram adds to every call (default 100)
  --json <file>      also write every raw figure to <file>
  --only <list>      run only these scenarios: ${SCENARIOS.join(', ')}
  --bot-dir <dir>    the Bridgeline checkout to measure (default: this one)
  --memory-time-box <s>
                     how long scenario 5 may take to bring its 10,000 residents mid-screening (default 40;
                     about 600 reaches them all on a 2-core machine)
  --rounds <n>       scenario 1's measured rounds for each bot (default 3, quick 1; the figure is their median):
                     every bot's CPU per update still falls from round to round, so more rounds read a warmer bot`;

/** A bad command line: its message is shown with the usage, and the bench exits with code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * @throws {UsageError} naming the first problem.
 * @example
 * parseOptions(['--quick', '--rtt', '50'], '/work/main'); // { isQuick: true, rttMs: 50, … }
 */
export function parseOptions(args: readonly string[], defaultBotDir: string): TBenchOptions | 'help' {
  let isQuick = false;
  let rttMs = 100;
  let jsonFile: string | undefined;
  let only: Set<TScenario> = new Set(SCENARIOS);
  let botDir = defaultBotDir;
  let memoryTimeBoxMs = 40_000;
  let rounds: number | undefined;
  const seen = new Set<string>();

  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? splitOnce(arg) : [arg, undefined];
    if (flag === '--help' || flag === '-h') return 'help';
    if (seen.has(flag)) throw new UsageError(`${flag} is given twice.`);
    seen.add(flag);
    const value = (): string => {
      const next = inline ?? args[++i];
      if (next === undefined || (inline === undefined && next.startsWith('--'))) {
        throw new UsageError(`${flag} needs a value.`);
      }
      return next;
    };
    /** The flag's value as a whole number from `min` to `max` (`unit`: "milliseconds", "seconds", or none). */
    const wholeNumber = (min: number, max: number, unit?: string): number => {
      const text = value();
      const number = Number(text);
      if (!/^\d+$/.test(text) || number < min || number > max) {
        throw new UsageError(
          `${flag} must be a whole number${unit ? ` of ${unit}` : ''} from ${min} to ${max}, not "${text}".`,
        );
      }
      return number;
    };
    switch (flag) {
      case '--quick':
        if (inline !== undefined) throw new UsageError('--quick takes no value.');
        isQuick = true;
        break;
      case '--rtt':
        rttMs = wholeNumber(0, 10_000, 'milliseconds');
        break;
      case '--json':
        jsonFile = resolve(value());
        if (!existsSync(dirname(jsonFile))) {
          throw new UsageError(`--json ${jsonFile}: the folder ${dirname(jsonFile)} does not exist.`);
        }
        break;
      case '--only': {
        const names = value()
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean);
        const unknown = names.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
        if (names.length === 0 || unknown.length > 0) {
          throw new UsageError(
            `--only takes scenario names from: ${SCENARIOS.join(', ')}${unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''}.`,
          );
        }
        only = new Set(names as TScenario[]);
        break;
      }
      case '--bot-dir':
        botDir = resolve(value());
        if (!existsSync(join(botDir, 'src', 'main.ts'))) {
          throw new UsageError(`--bot-dir ${botDir} has no src/main.ts.`);
        }
        break;
      case '--memory-time-box':
        memoryTimeBoxMs = wholeNumber(1, 3600, 'seconds') * 1000;
        break;
      case '--rounds':
        rounds = wholeNumber(1, 20);
        break;
      default:
        throw new UsageError(`Unknown argument "${arg}".`);
    }
  }
  return { isQuick, rttMs, jsonFile, only, botDir, memoryTimeBoxMs, rounds };
}

function splitOnce(arg: string): [string, string] {
  const at = arg.indexOf('=');
  return [arg.slice(0, at), arg.slice(at + 1)];
}
