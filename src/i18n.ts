import { readdirSync, readFileSync } from 'node:fs';
import { createInstance, type i18n, type Resource, type ResourceLanguage, type TFunction } from 'i18next';

export const LOCALES = ['en', 'zh-CN'] as const;
export type TLocale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: TLocale = 'en';

const LOCALES_DIR = new URL('../locales/', import.meta.url);

/**
 * Maps Telegram's `language_code` (an IETF tag such as `zh-hans`, `zh`, `en-GB`) to a locale we ship.
 * Every Chinese variant reads Simplified Chinese: it is the only Chinese we have, and closer than English.
 *
 * @example resolveLocale('zh-hans') // 'zh-CN'
 */
export function resolveLocale(languageCode: string | undefined): TLocale {
  const tag = languageCode?.trim().toLowerCase() ?? '';
  if (tag === 'zh' || tag.startsWith('zh-') || tag.startsWith('zh_')) return 'zh-CN';
  return DEFAULT_LOCALE;
}

export function isLocale(value: unknown): value is TLocale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** Reads `locales/<lng>/<namespace>.json` for every shipped locale. */
export function readLocaleResources(dir: URL = LOCALES_DIR): Resource {
  const resources: Resource = {};
  for (const locale of LOCALES) {
    const folder = new URL(`${locale}/`, dir);
    const namespaces: ResourceLanguage = {};
    for (const file of readdirSync(folder).filter((name) => name.endsWith('.json'))) {
      namespaces[file.slice(0, -'.json'.length)] = JSON.parse(readFileSync(new URL(file, folder), 'utf8'));
    }
    resources[locale] = namespaces;
  }
  return resources;
}

/**
 * A ready i18next instance of our own (never the global one, so tests and bots do not share state).
 * Initialised synchronously: the resources are in memory.
 */
export function createI18n(resources = readLocaleResources()): i18n {
  const instance = createInstance();
  void instance.init({
    resources,
    lng: DEFAULT_LOCALE,
    fallbackLng: DEFAULT_LOCALE,
    supportedLngs: [...LOCALES],
    ns: Object.keys(resources[DEFAULT_LOCALE] ?? {}),
    defaultNS: 'bot',
    initAsync: false,
    // Texts go to Telegram as plain text, not HTML: nothing to escape.
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return instance;
}

export type { TFunction };
