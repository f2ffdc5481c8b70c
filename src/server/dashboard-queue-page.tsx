import { raw } from 'hono/html';
import type { TTranslate } from '../domain/escalation/index.ts';
import { formatWaiting } from '../domain/escalation/index.ts';
import type { TDashboardCase, TQueueFilter } from '../services/dashboard-queue.ts';

const LEVELS = ['imminent', 'high', 'moderate', 'low'] as const;

/** The queue as a table: the fragment the live updates replace, rendered on the server. */
export function QueueTable(props: { t: TTranslate; cases: readonly TDashboardCase[]; now: Date }) {
  const { t, cases, now } = props;
  if (cases.length === 0) return <p>{t('dashboard.empty')}</p>;
  return (
    <table>
      <tbody>
        {cases.map((item) => (
          <tr>
            <td>#{item.id}</td>
            <td>
              {/* The level in words, not colour alone. */}
              <span class={`badge level-${item.level}`}>{t(`level.${item.level}`)}</span>
            </td>
            <td>{item.isMine ? t('dashboard.claimed_by_you') : t(`dashboard.${item.status}_status`)}</td>
            <td>{t(`source.${item.source.replaceAll('-', '_')}`)}</td>
            <td>{formatWaiting(t, now.getTime() - item.createdAt.getTime())}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The whole queue page: filters, the table, sign-out, and the few lines that keep it live. */
export function QueuePage(props: {
  t: TTranslate;
  locale: string;
  name: string;
  csrfToken: string;
  filter: TQueueFilter;
  cases: readonly TDashboardCase[];
  now: Date;
}) {
  const { t, filter } = props;
  return (
    <html lang={props.locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{t('dashboard.queue_title')}</title>
        <style>{raw(STYLE)}</style>
      </head>
      <body>
        <header>
          <h1>{t('dashboard.queue_title')}</h1>
          <p>{t('dashboard.signed_in_as', { name: props.name })}</p>
          <form method="post" action="/dashboard/sign-out">
            <input type="hidden" name="csrf" value={props.csrfToken} />
            <button type="submit">{t('dashboard.sign_out')}</button>
          </form>
        </header>
        <form method="get" action="/dashboard">
          <label>
            {t('dashboard.filter_level')}{' '}
            <select name="level">
              <option value="">{t('dashboard.all')}</option>
              {LEVELS.map((level) => (
                <option value={level} selected={filter.level === level}>
                  {t(`level.${level}`)}
                </option>
              ))}
            </select>
          </label>{' '}
          <label>
            {t('dashboard.filter_status')}{' '}
            <select name="status">
              <option value="">{t('dashboard.all')}</option>
              <option value="waiting" selected={filter.status === 'waiting'}>
                {t('dashboard.waiting_status')}
              </option>
              <option value="claimed" selected={filter.status === 'claimed'}>
                {t('dashboard.claimed_status')}
              </option>
            </select>
          </label>{' '}
          <button type="submit">{t('dashboard.apply')}</button>
        </form>
        <p>{t('dashboard.live')}</p>
        <div id="queue" aria-live="polite">
          <QueueTable t={t} cases={props.cases} now={props.now} />
        </div>
        <script>{raw(LIVE_SCRIPT)}</script>
      </body>
    </html>
  );
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:1rem;max-width:60rem}table{border-collapse:collapse;width:100%}
td{padding:.4rem;border-bottom:1px solid #ccc}.badge{padding:.1rem .4rem;border:1px solid #333;border-radius:.3rem}
.level-imminent{background:#fdd;font-weight:bold}.level-high{background:#fed}header{display:flex;gap:1rem;align-items:baseline;flex-wrap:wrap}`;

/** A new case shows within a second (the server says when the list changed); waiting times refresh each 30 s. */
const LIVE_SCRIPT = `(() => {
  const refresh = async () => {
    const url = new URL(location.href); url.searchParams.set('partial', '1');
    const response = await fetch(url, { credentials: 'same-origin' });
    if (response.ok) document.getElementById('queue').innerHTML = await response.text();
  };
  new EventSource('/dashboard/events').addEventListener('queue', refresh);
  setInterval(refresh, 30000);
})();`;
