import { raw } from 'hono/html';
import type { TShiftListing } from '../services/rota.ts';
import { Layout, type TViewer } from './dashboard-layout.tsx';

/**
 * The rota (supervisors): shifts not yet over, each removable, and a form to add one. Times are entered in the
 * browser's own time zone (a line of script sends its offset; without it, UTC).
 */
export function RotaPage(props: {
  viewer: TViewer;
  shifts: readonly TShiftListing[];
  workers: ReadonlyArray<{ id: number; name: string }>;
  notice: string | undefined;
}) {
  const { viewer } = props;
  const { t, csrfToken } = viewer;
  return (
    <Layout viewer={viewer} title={t('dashboard.rota_title')} path="/dashboard/rota">
      {props.notice ? (
        <p class="notice" role="status">
          {t(`dashboard.rota_notice.${props.notice}`, { defaultValue: t('dashboard.notice.refused') })}
        </p>
      ) : null}
      {props.shifts.length === 0 ? (
        <p class="muted">{t('dashboard.rota_empty')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('dashboard.rota_worker')}</th>
              <th scope="col">{t('dashboard.rota_from')}</th>
              <th scope="col">{t('dashboard.rota_to')}</th>
              <th scope="col">
                <span class="muted">{t('dashboard.rota_remove')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.shifts.map((shift) => (
              <tr>
                <td>
                  {shift.workerName}
                  {shift.isNow ? ` · ${t('dashboard.rota_now')}` : ''}
                </td>
                <td>
                  <time datetime={shift.startsAt}>{shift.startsAt.slice(0, 16).replace('T', ' ')} UTC</time>
                </td>
                <td>
                  <time datetime={shift.endsAt}>{shift.endsAt.slice(0, 16).replace('T', ' ')} UTC</time>
                </td>
                <td>
                  <form method="post" action={`/dashboard/rota/${shift.id}/remove`}>
                    <input type="hidden" name="csrf" value={csrfToken} />
                    <button
                      type="submit"
                      aria-label={t('dashboard.rota_remove_shift', { name: shift.workerName })}
                    >
                      {t('dashboard.rota_remove')}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <section>
        <h2>{t('dashboard.rota_add')}</h2>
        <form method="post" action="/dashboard/rota" class="actions">
          <input type="hidden" name="csrf" value={csrfToken} />
          <input type="hidden" name="offset" value="0" id="offset" />
          <label>
            {t('dashboard.rota_worker')}{' '}
            <select name="worker" required>
              {props.workers.map((worker) => (
                <option value={String(worker.id)}>{worker.name}</option>
              ))}
            </select>
          </label>
          <label>
            {t('dashboard.rota_from')} <input type="datetime-local" name="from" required />
          </label>
          <label>
            {t('dashboard.rota_to')} <input type="datetime-local" name="to" required />
          </label>
          <button type="submit">{t('dashboard.rota_add')}</button>
        </form>
        <script>
          {raw("document.getElementById('offset').value = String(new Date().getTimezoneOffset());")}
        </script>
      </section>
    </Layout>
  );
}
