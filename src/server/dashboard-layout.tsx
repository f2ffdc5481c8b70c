import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { TTranslate } from '../domain/escalation/index.ts';

/** Who reads a page, and what its forms need. */
export type TViewer = {
  t: TTranslate;
  locale: string;
  name: string;
  role: string;
  csrfToken: string;
};

const LANGUAGES = [
  { locale: 'en', name: 'English' },
  { locale: 'zh-CN', name: '中文' },
] as const;

/**
 * Every signed-in page: the navigation (supervisors also see statistics, the community picture, the rota and
 * scripts), the language switch and sign-out — forms that carry the session's CSRF token — and the content.
 */
export function Layout(props: { viewer: TViewer; title: string; path: string; children?: Child }) {
  const { t, role, csrfToken } = props.viewer;
  const links = [
    { href: '/dashboard', label: t('dashboard.nav_queue') },
    ...(role === 'supervisor'
      ? [
          { href: '/dashboard/statistics', label: t('dashboard.nav_statistics') },
          { href: '/dashboard/community', label: t('dashboard.nav_community') },
          { href: '/dashboard/rota', label: t('dashboard.nav_rota') },
          { href: '/dashboard/scripts', label: t('dashboard.nav_scripts') },
        ]
      : []),
  ];
  return (
    <html lang={props.viewer.locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <style>{raw(STYLE)}</style>
      </head>
      <body>
        <a class="skip" href="#main">
          {t('dashboard.skip')}
        </a>
        <header>
          <nav aria-label={t('dashboard.nav_label')}>
            {links.map((link) => (
              <a href={link.href} aria-current={link.href === props.path ? 'page' : undefined}>
                {link.label}
              </a>
            ))}
          </nav>
          <span>{t('dashboard.signed_in_as', { name: props.viewer.name })}</span>
          <form method="post" action="/dashboard/language" class="inline">
            <input type="hidden" name="csrf" value={csrfToken} />
            <input type="hidden" name="back" value={props.path} />
            {LANGUAGES.map((language) => (
              <button
                type="submit"
                name="locale"
                value={language.locale}
                lang={language.locale}
                aria-pressed={language.locale === props.viewer.locale ? 'true' : 'false'}
              >
                {language.name}
              </button>
            ))}
          </form>
          <form method="post" action="/dashboard/sign-out" class="inline">
            <input type="hidden" name="csrf" value={csrfToken} />
            <button type="submit">{t('dashboard.sign_out')}</button>
          </form>
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** A page's HTML with its doctype, as hono's `c.html` takes it. */
export function documentOf(element: { toString(): string | Promise<string> }): string {
  return `<!doctype html>${element.toString()}`;
}

/** Small, hand-written, phone-first; levels carry words and borders, never colour alone. */
const STYLE = `body{font-family:system-ui,sans-serif;margin:0;line-height:1.45;color:#111}
main{padding:0 1rem 2rem;max-width:64rem}header{display:flex;gap:.8rem;align-items:center;flex-wrap:wrap;
padding:.5rem 1rem;border-bottom:1px solid #999;background:#f4f4f4}nav{display:flex;gap:.8rem;flex-wrap:wrap}
nav a[aria-current=page]{font-weight:bold;text-decoration:none;border-bottom:3px solid #111}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.3rem}
:focus-visible{outline:3px solid #0057b7;outline-offset:2px}
table{border-collapse:collapse;width:100%}th,td{padding:.4rem;border-bottom:1px solid #ccc;text-align:left;vertical-align:top}
.badge{padding:.1rem .4rem;border:1px solid #333;border-radius:.3rem;white-space:nowrap}
.level-imminent{background:#fdd;font-weight:bold;border-width:3px}.level-high{background:#fed;border-width:2px}
.inline{display:inline}button,input,select,textarea{font:inherit;padding:.35rem .6rem}textarea{width:100%;box-sizing:border-box}
button{cursor:pointer}.actions{display:flex;gap:1rem;flex-wrap:wrap;align-items:flex-end;margin:1rem 0}
section{margin:1.5rem 0}.notice{border-left:4px solid #111;padding:.3rem .8rem;background:#f6f6f6}
.from-worker{background:#f3f7ff}.crisis{border-left:4px solid #b00}.muted{color:#555}
svg text{font:12px system-ui,sans-serif}svg{max-width:100%;height:auto}
.chart{margin:.5rem 0 1rem}.suppressed{font-style:italic}
@media (max-width:40rem){td,th{display:block;border:0}tr{display:block;border-bottom:1px solid #ccc;padding:.3rem 0}}`;
