import type { i18n } from 'i18next';
import type { TLocale } from '../i18n.ts';

/**
 * Decides which emergency numbers a resident sees: the operator's configured text for their locale (or
 * for every locale, key `*`), else the locale's default text from `locales/`.
 *
 * @example
 * const numbersFor = createEmergencyNumbers(config.emergencyNumbers, i18n);
 * numbersFor('zh-CN'); // "请立即拨打 110 …"
 */
export function createEmergencyNumbers(
  configured: Readonly<Record<string, string>> | undefined,
  i18n: i18n,
): (locale: TLocale) => string {
  return (locale) => configured?.[locale] ?? configured?.['*'] ?? i18n.getFixedT(locale)('emergency.default');
}
