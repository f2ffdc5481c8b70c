import { raw } from 'hono/html';
import type { TTranslate } from '../domain/escalation/index.ts';
import { CASE_LEVELS, formatWaiting } from '../domain/escalation/index.ts';
import type { TDashboardCase, TQueueFilter } from '../services/dashboard-queue.ts';
import { Layout, type TViewer } from './dashboard-layout.tsx';

/** Most urgent first, as the queue is ordered. */
const LEVELS = [...CASE_LEVELS].reverse();

/** The queue as a table: the fragment the live updates replace, rendered on the server. */
export function QueueTable(props: { t: TTranslate; cases: readonly TDashboardCase[]; now: Date }) {
  const { t, cases, now } = props;
  if (cases.length === 0) return <p>{t('dashboard.empty')}</p>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">{t('dashboard.column_case')}</th>
          <th scope="col">{t('dashboard.filter_level')}</th>
          <th scope="col">{t('dashboard.filter_status')}</th>
          <th scope="col">{t('dashboard.column_source')}</th>
          <th scope="col">{t('dashboard.column_waiting')}</th>
        </tr>
      </thead>
      <tbody>
        {cases.map((item) => (
          <tr>
            <td>
              <a href={`/dashboard/cases/${item.id}`}>#{item.id}</a>
            </td>
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

/** The queue page: filters, the table, and the few lines that keep it live. */
export function QueuePage(props: {
  viewer: TViewer;
  filter: TQueueFilter;
  cases: readonly TDashboardCase[];
  now: Date;
}) {
  const { viewer, filter } = props;
  const { t } = viewer;
  return (
    <Layout viewer={viewer} title={t('dashboard.queue_title')} path="/dashboard">
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
      {/* Said aloud when the list changes: this short line, not the whole table every half minute. */}
      <p
        id="queue-status"
        role="status"
        aria-live="polite"
        data-template={t('dashboard.live_status', { count: '{count}', time: '{time}' })}
      />
      <div id="queue">
        <QueueTable t={t} cases={props.cases} now={props.now} />
      </div>
      <script>{raw(LIVE_SCRIPT)}</script>
    </Layout>
  );
}
/**
 * The server says when the list changed (a new case shows within a second) and every half minute (waiting times
 * move on); the table is fetched again then, and the status line says how many are listed when it changed.
 * Signed out (here, elsewhere, or access ended), the stream ends and the page reloads to say so; so it does when
 * the stream is refused.
 */
const LIVE_SCRIPT = `(() => {
  const status = document.getElementById('queue-status');
  const refresh = async (event) => {
    const url = new URL(location.href); url.searchParams.set('partial', '1');
    const response = await fetch(url, { credentials: 'same-origin' });
    if (!response.ok) return;
    document.getElementById('queue').innerHTML = await response.text();
    const news = JSON.parse(event.data || '{}');
    if (news.changed) status.textContent = status.dataset.template
      .replace('{count}', String(document.querySelectorAll('#queue tbody tr').length))
      .replace('{time}', new Date().toLocaleTimeString(document.documentElement.lang));
  };
  const events = new EventSource('/dashboard/events');
  events.addEventListener('queue', refresh);
  events.addEventListener('signed-out', () => { events.close(); location.reload(); });
  // Refused outright (the session ended before the stream connected, or between two streams): the browser
  // gives up on it for good, so the page would go on saying "Updates live". Reload: it asks to sign in.
  events.addEventListener('error', () => { if (events.readyState === EventSource.CLOSED) location.reload(); });
})();`;
