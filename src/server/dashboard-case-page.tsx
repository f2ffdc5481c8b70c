import { caseSummarySections, formatWaiting, readGrievanceSignals } from '../domain/escalation/index.ts';
import type { TCaseRecord, TTimelineEntry } from '../services/case-record.ts';
import { MAX_RELAY_LENGTH } from '../services/case-work.ts';
import { BandChart, BarChart } from './dashboard-charts.tsx';
import { Layout, type TViewer } from './dashboard-layout.tsx';

/** What a case page needs besides the record: the outcome codes to close it with, and a notice to show. */
export type TCasePageOptions = {
  now: Date;
  outcomes: ReadonlyArray<{ code: string; label: string }>;
  /** The result of the action just taken (a key under `dashboard.notice`), or a refusal to explain. */
  notice: string | undefined;
};

/**
 * One case: where it stands and what can be done (claim; or reply, note, release, resolve when it is the
 * reader's), then why it was flagged — the same sections as the bot's Details — with the indicators against
 * their bands and the grievance signals drawn, the transcript, notes and the timeline. Every string the
 * resident wrote reaches the page through JSX, which escapes it.
 */
export function CasePage(props: { viewer: TViewer; record: TCaseRecord; options: TCasePageOptions }) {
  const { viewer, record, options } = props;
  const { t } = viewer;
  const path = `/dashboard/cases/${record.id}`;
  const sections = caseSummarySections(t, record.view, {
    now: options.now,
    locale: viewer.locale,
    labels: record.labels,
  });
  const grievance = readGrievanceSignals(record.view.signals);
  return (
    <Layout viewer={viewer} title={t('dashboard.case_title', { id: record.id })} path={path}>
      {options.notice ? (
        <p class="notice" role="status">
          {t(`dashboard.notice.${options.notice}`, { defaultValue: t('dashboard.notice.refused') })}
        </p>
      ) : null}
      <p>
        <span class={`badge level-${record.level}`}>{t(`level.${record.level}`)}</span>{' '}
        {statusLine(viewer, record, options)}
      </p>
      <Actions viewer={viewer} record={record} outcomes={options.outcomes} path={path} />

      {sections.map(([heading, ...lines]) => (
        <section>
          {/* The bot's text sections, as a list: its bullets and the heading's colon are the page's markup here. */}
          <h2>{heading?.replace(/[:：]\s*$/, '')}</h2>
          <ul>
            {lines.map((line) => (
              <li>{line.replace(/^\s*[•–]\s*/, '')}</li>
            ))}
          </ul>
        </section>
      ))}

      {record.indicators.length > 0 ? (
        <section>
          <h2>{t('dashboard.indicators')}</h2>
          {record.indicators.map((reading) => (
            <BandChart
              reading={reading}
              caption={t('dashboard.indicator_caption', {
                indicator: reading.label,
                total: reading.total,
                max: reading.max,
                band: reading.band,
              })}
            />
          ))}
        </section>
      ) : null}

      {grievance.length > 0 ? (
        <section>
          <h2>{t('dashboard.grievance')}</h2>
          <p class="muted">{t('dashboard.grievance_note')}</p>
          <BarChart
            title={t('dashboard.grievance_chart')}
            bars={grievance.map((category) => ({
              label: t(`grievance_category.${category.category}`),
              value: category.proportion,
              text: t('dashboard.grievance_bar', {
                percent: (category.proportion * 100).toFixed(1),
                terms: category.terms.slice(0, 3).join(', '),
              }),
            }))}
          />
        </section>
      ) : null}

      <section>
        <h2>{t('dashboard.transcript')}</h2>
        {record.transcript.length === 0 ? (
          <p class="muted">{t('dashboard.transcript_empty')}</p>
        ) : (
          <ol>
            {record.transcript.map((line) => (
              <li class={`${line.direction}${line.purpose === 'crisis' ? ' crisis' : ''}`}>
                <strong>
                  {line.direction === 'from-worker'
                    ? t('dashboard.from_worker', { name: line.workerName ?? '—' })
                    : t('dashboard.from_resident')}
                </strong>{' '}
                <time datetime={line.at.toISOString()}>{clock(line.at, viewer.locale)}</time>
                {line.purpose === 'crisis' ? ` · ${t('dashboard.crisis_message')}` : ''}
                <p>{line.text ?? t('dashboard.unreadable')}</p>
              </li>
            ))}
          </ol>
        )}
      </section>

      <section>
        <h2>{t('dashboard.notes')}</h2>
        {record.notes.length === 0 ? (
          <p class="muted">{t('dashboard.notes_empty')}</p>
        ) : (
          <ul>
            {record.notes.map((note) => (
              <li>
                <strong>{note.authorName ?? '—'}</strong>{' '}
                <time datetime={note.at.toISOString()}>{clock(note.at, viewer.locale)}</time>
                <p>{note.text ?? t('dashboard.unreadable')}</p>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section>
        <h2>{t('dashboard.timeline')}</h2>
        <table>
          <tbody>
            {record.timeline.map((entry) => (
              <tr>
                <td>
                  <time datetime={entry.at.toISOString()}>{clock(entry.at, viewer.locale)}</time>
                </td>
                <td>{entry.actorName ?? t('dashboard.the_service')}</td>
                <td>{describeEvent(viewer, entry)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}

function statusLine(viewer: TViewer, record: TCaseRecord, options: TCasePageOptions): string {
  const { t } = viewer;
  if (record.status === 'waiting')
    return t('dashboard.status_waiting', {
      waiting: formatWaiting(t, options.now.getTime() - record.createdAt.getTime()),
    });
  if (record.status === 'claimed')
    return record.isMine
      ? t('dashboard.status_yours')
      : t('dashboard.status_claimed', { name: record.claimedByName ?? '—' });
  const outcome =
    options.outcomes.find((item) => item.code === record.outcome)?.label ?? record.outcome ?? '—';
  return t('dashboard.status_closed', { status: record.status, outcome });
}

/** Claim a waiting case; on one's own: reply, note, release, resolve. Every form carries the CSRF token. */
function Actions(props: {
  viewer: TViewer;
  record: TCaseRecord;
  outcomes: TCasePageOptions['outcomes'];
  path: string;
}) {
  const { viewer, record, path } = props;
  const { t, csrfToken } = viewer;
  const csrf = <input type="hidden" name="csrf" value={csrfToken} />;
  if (record.status === 'waiting')
    return (
      <form method="post" action={`${path}/claim`} class="actions">
        {csrf}
        <button type="submit">{t('dashboard.claim')}</button>
      </form>
    );
  if (!record.isMine) return null;
  return (
    <div>
      <form method="post" action={`${path}/reply`}>
        {csrf}
        <label for="reply">{t('dashboard.reply_label')}</label>
        <textarea id="reply" name="text" rows={3} maxlength={MAX_RELAY_LENGTH} required />
        <button type="submit">{t('dashboard.reply')}</button>
      </form>
      <form method="post" action={`${path}/note`}>
        {csrf}
        <label for="note">{t('dashboard.note_label')}</label>
        <textarea id="note" name="text" rows={2} maxlength={4000} required />
        <button type="submit">{t('dashboard.note')}</button>
      </form>
      <div class="actions">
        <form method="post" action={`${path}/resolve`}>
          {csrf}
          <label>
            {t('dashboard.outcome_label')}{' '}
            <select name="outcome" required>
              {props.outcomes.map((outcome) => (
                <option value={outcome.code}>{outcome.label}</option>
              ))}
            </select>
          </label>{' '}
          <label>
            <input type="checkbox" name="groups" value="1" /> {t('dashboard.offer_groups')}
          </label>{' '}
          <button type="submit">{t('dashboard.resolve')}</button>
        </form>
        <form method="post" action={`${path}/release`}>
          {csrf}
          <button type="submit">{t('dashboard.release')}</button>
        </form>
      </div>
    </div>
  );
}

/** A timeline entry in words: its type, with the few ids and codes its detail holds. */
function describeEvent(viewer: TViewer, entry: TTimelineEntry): string {
  const { t } = viewer;
  const { detail } = entry;
  const values: Record<string, string | number> = {};
  for (const key of ['step', 'outcome', 'kept'] as const) {
    const value = detail[key];
    if (typeof value === 'string' || typeof value === 'number') values[key] = value;
  }
  if (typeof detail.level === 'string') values.level = t(`level.${detail.level}`);
  if (Array.isArray(detail.workerIds)) values.count = detail.workerIds.length;
  if (detail.direction === 'to-resident' || detail.direction === 'to-worker')
    return t(`dashboard.event.relayed_${detail.direction.replace('-', '_')}`, values);
  return t(`dashboard.event.${entry.type.replaceAll('-', '_')}`, { ...values, defaultValue: entry.type });
}

function clock(at: Date, locale: string): string {
  return at.toLocaleString(locale === 'zh-CN' ? 'zh-CN' : 'en-GB', {
    dateStyle: 'short',
    timeStyle: 'short',
  });
}
