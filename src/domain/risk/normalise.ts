/**
 * Text normalisation shared by crisis detection and grievance scoring.
 *
 * Residents type fast, on phones, in two scripts: the same words arrive in full-width forms, with stretched
 * letters ("kiiiill"), leetspeak ("k1ll"), curly apostrophes and stray spaces between Chinese characters.
 * Patterns are written once against the normalised form, so every variant reaches them the same way.
 * Normalisation is idempotent: normalising normalised text changes nothing.
 */

const LATIN_VOWELS = new Set(['a', 'e', 'i', 'o', 'u', 'y']);

const LEET: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
};

/** Punctuation NFKC leaves alone, mapped to the ASCII marks that sentence and clause splitting know. */
const PUNCTUATION: Readonly<Record<string, string>> = {
  '。': '.',
  '｡': '.',
  '、': ',',
  '､': ',',
  '「': ' ',
  '」': ' ',
  '『': ' ',
  '』': ' ',
  '【': ' ',
  '】': ' ',
  '《': ' ',
  '》': ' ',
  '〈': ' ',
  '〉': ' ',
  '〔': ' ',
  '〕': ' ',
  '“': '"',
  '”': '"',
  '„': '"',
  '‘': "'",
  '’': "'",
  '‚': "'",
  '`': "'",
  '´': "'",
  '–': ' ',
  '—': ' ',
  '―': ' ',
  '·': ' ',
  '•': ' ',
};

const PUNCTUATION_RE = new RegExp(`[${Object.keys(PUNCTUATION).join('')}]`, 'gu');
// Zero-width characters and soft hyphens hide words from patterns ("ki\u200bll").
const INVISIBLE_RE = /[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]/gu;
const CONTROL_RE = /[\p{Cc}\p{Zl}\p{Zp}]/gu;
const LEET_TOKEN_RE = /[\p{Script=Latin}0-9@$]+/gu;
const RUN_RE = /(.)\1{2,}/gsu;
const HAN_GAP_RE = /(\p{Script=Han}+)[ \t]+(?=(\p{Script=Han}+))/gu;

/**
 * A space between Chinese characters: inside a word or a spaced-out phrase (`我 想 死`) it is noise, but between
 * two runs of words (`周日我就结束 办法都想好了`) it is where a resident ends one clause and starts the next.
 */
function joinHanGap(_whole: string, before: string, after: string): string {
  return before.length >= 2 && after.length >= 2 ? `${before},` : before;
}

/**
 * Lower-case, NFKC-folded, single-spaced text with stretched letters, leetspeak and apostrophes undone.
 * Line breaks survive as `\n` because residents use them as sentence ends.
 *
 * - NFKC folds full-width and compatibility forms (`ＫＩＬＬ` → `kill`, `！` → `!`); Chinese full stops and
 *   enumeration commas become `.` and `,`.
 * - Apostrophes are dropped (`I'm` → `im`, `can’t` → `cant`), so patterns need one spelling only.
 * - Leetspeak digits and `@ $` inside a word that has Latin letters become letters (`k1ll` → `kill`), but a
 *   leading number stays (`5pm`, `14th`).
 * - Runs of three or more: a Latin vowel shrinks to one (`kiiiill` → `kill`), a Latin consonant to two
 *   (`killlll` → `kill`), digits stay, anything else to two (`!!!!` → `!!`, `啊啊啊啊` → `啊啊`).
 * - A space between single Han characters is removed (`我 想 死` → `我想死`); between two runs of two or
 *   more it becomes a comma, a clause break (`我就结束 办法都想好了` → `我就结束,办法都想好了`).
 *
 * @example
 * normaliseText('I’m gonna  KIIIILL   my$elf！') // "im gonna kill myself!"
 */
export function normaliseText(text: string): string {
  const folded = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(INVISIBLE_RE, '')
    .replace(PUNCTUATION_RE, (mark) => PUNCTUATION[mark] ?? ' ')
    .replace(/\r\n?/g, '\n')
    .replace(/[^\S\n]/gu, ' ')
    .replace(CONTROL_RE, (char) => (char === '\n' ? '\n' : ' '))
    .replace(/'/g, '');
  // Join Han characters before shrinking runs, so "我 我我" and "我我我" end up the same.
  return folded
    .replace(LEET_TOKEN_RE, unleetToken)
    .replace(/ +/g, ' ')
    .replace(/ ?\n[\n ]*/g, '\n')
    .replace(HAN_GAP_RE, joinHanGap)
    .replace(RUN_RE, shrinkRun)
    .trim();
}

/**
 * The lighter fold used for lexicon matching: NFKC, lower case, invisible characters removed, typographic
 * quotes straightened, whitespace collapsed. Apostrophes, digits and letter runs are kept, because dictionary
 * entries contain them (`don't`, `911`, `ak-47`).
 *
 * @example
 * foldText('Ｉ  don’t   feel SAFE') // "i don't feel safe"
 */
export function foldText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(INVISIBLE_RE, '')
    .replace(PUNCTUATION_RE, (mark) => PUNCTUATION[mark] ?? ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

function unleetToken(token: string): string {
  if (!/[a-z]/.test(token) || !/[013457@$]/.test(token)) return token;
  const leadingDigits = /^\d*/.exec(token)?.[0].length ?? 0;
  let out = token.slice(0, leadingDigits);
  for (const char of token.slice(leadingDigits)) out += LEET[char] ?? char;
  return out;
}

function shrinkRun(run: string, char: string): string {
  if (/\d/.test(char)) return run;
  if (/[a-z]/.test(char)) return LATIN_VOWELS.has(char) ? char : char + char;
  if (/[.,!?;:~\-_*#=+]/.test(char)) return char;
  return char + char;
}
