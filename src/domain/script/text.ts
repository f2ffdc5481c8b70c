import type { TLocalizedText, TScript } from './schema.ts';

/**
 * The text in `locale`, else in the script's first locale, else in any locale the text has. Linted scripts
 * always have the first; the rest keeps a half-translated draft readable in the simulator.
 *
 * @example localize({ en: 'Yes', 'zh-CN': '是' }, 'zh-CN', ['en', 'zh-CN']) // '是'
 */
export function localize(text: TLocalizedText, locale: string, locales: readonly string[]): string {
  const fallback = locales[0];
  return (
    text[locale] ?? (fallback === undefined ? undefined : text[fallback]) ?? Object.values(text)[0] ?? ''
  );
}

/**
 * The script locale that best serves a requested one (e.g. Telegram's `language_code`): an exact match
 * ignoring case, else the first locale with the same language, else `undefined` so the caller decides.
 *
 * @example resolveLocale(script, 'zh-hans') // 'zh-CN'
 * @example resolveLocale(script, 'en-US') // 'en'
 */
export function resolveLocale(script: Pick<TScript, 'locales'>, requested: string): string | undefined {
  const wanted = requested.trim().toLowerCase().replace('_', '-');
  const exact = script.locales.find((locale) => locale.toLowerCase() === wanted);
  if (exact !== undefined) return exact;
  const language = wanted.split('-')[0];
  return script.locales.find((locale) => locale.toLowerCase().split('-')[0] === language);
}

/**
 * Folds what a person types so that "Yes", " yes. " and "ＹＥＳ" compare equal: Unicode compatibility form
 * (full-width letters and digits become plain), trimmed, single spaces, lower case, no closing punctuation.
 */
export function normalizeTyped(text: string): string {
  return text
    .normalize('NFKC')
    .trim()
    .replace(/\s+/gu, ' ')
    .replace(/[.!?。！？]+$/u, '')
    .toLowerCase();
}

/**
 * One line of at most `max` characters: whitespace folded, an ellipsis where it was cut.
 *
 * @example shorten('How often did it seem\nthat things were not going to get better?', 20) // 'How often did it se…'
 */
export function shorten(text: string, max: number): string {
  const single = text.replace(/\s+/g, ' ').trim();
  return single.length <= max ? single : `${single.slice(0, max - 1)}…`;
}
