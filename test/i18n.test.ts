import { describe, expect, it } from 'vitest';
import { createI18n, LOCALES, readLocaleResources, resolveLocale } from '../src/i18n.ts';

/** Every leaf key of a nested resource object, as dotted paths. */
function leafKeys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => leafKeys(child, prefix ? `${prefix}.${key}` : key));
}

describe('locales', () => {
  const resources = readLocaleResources();

  it('ship the same keys in every locale', () => {
    const [first, ...rest] = LOCALES.map((locale) => leafKeys(resources[locale]).sort());
    for (const keys of rest) expect(keys).toEqual(first);
  });

  it('have no empty text', () => {
    for (const locale of LOCALES) {
      for (const key of leafKeys(resources[locale])) {
        const text = key
          .split('.')
          .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], resources[locale]);
        expect(typeof text === 'string' && text.trim().length > 0, `${locale}:${key}`).toBe(true);
      }
    }
  });

  it('address people in Chinese in one register: 您, never 你', () => {
    const texts = leafKeys(resources['zh-CN']).map((key) =>
      String(
        key
          .split('.')
          .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], resources['zh-CN']),
      ),
    );
    expect(texts.filter((text) => text.includes('你'))).toEqual([]);
    expect(texts.some((text) => text.includes('您'))).toBe(true);
  });

  it("give, through the quicker fixed t, what i18next's own gives for every key, language and namespace", () => {
    const i18n = createI18n();
    const own = Object.getPrototypeOf(i18n).getFixedT as typeof i18n.getFixedT;
    const options = { numbers: '110 & 120', count: 2, id: 7, name: 'Ana', label: 'Often', n: 3, text: 'x' };
    let compared = 0;
    for (const locale of LOCALES) {
      for (const [ns, texts] of Object.entries(resources[locale] ?? {})) {
        const lean = i18n.getFixedT(locale, ns);
        const reference = own.call(i18n, locale, ns);
        for (const key of leafKeys(texts)) {
          expect(lean(key, options), `${locale}:${ns}:${key}`).toBe(reference(key, options));
          expect(lean(key), `${locale}:${ns}:${key}`).toBe(reference(key));
          compared += 1;
        }
      }
      // Without a namespace: the default one, as i18next's.
      expect(i18n.getFixedT(locale)('start.greeting')).toBe(own.call(i18n, locale)('start.greeting'));
    }
    expect(compared).toBeGreaterThan(200);
  });

  it('translate with interpolation and no HTML escaping', () => {
    const i18n = createI18n();
    expect(i18n.getFixedT('zh-CN')('help.emergency', { numbers: '110 & 120' })).toContain('110 & 120');
    expect(i18n.getFixedT('en')('start.greeting')).toMatch(/^Hello/);
  });
});

describe('resolveLocale', () => {
  it.each([
    ['en', 'en'],
    ['en-GB', 'en'],
    ['zh', 'zh-CN'],
    ['zh-hans', 'zh-CN'],
    ['zh-CN', 'zh-CN'],
    ['zh-TW', 'zh-CN'],
    ['fr', 'en'],
    [undefined, 'en'],
    ['', 'en'],
  ])('%s -> %s', (code, locale) => {
    expect(resolveLocale(code)).toBe(locale);
  });
});
