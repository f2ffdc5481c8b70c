import type { TFinding, TScript, TSimulation } from '../domain/script/index.ts';
import { localize, scriptLabels } from '../domain/script/index.ts';
import type { TScriptVersionRow } from '../services/script-versions.ts';
import { Layout, type TViewer } from './dashboard-layout.tsx';

/**
 * Script versions (supervisors): each with its status and the linter's findings for it — how many, and of
 * which kinds (each in full on the version's page).
 */
export function ScriptsPage(props: {
  viewer: TViewer;
  versions: ReadonlyArray<TScriptVersionRow & { findings: readonly TFinding[] }>;
}) {
  const { t } = props.viewer;
  return (
    <Layout viewer={props.viewer} title={t('dashboard.scripts_title')} path="/dashboard/scripts">
      <p class="muted">{t('dashboard.scripts_note')}</p>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('dashboard.script_version')}</th>
            <th scope="col">{t('dashboard.script_status')}</th>
            <th scope="col">{t('dashboard.script_published')}</th>
            <th scope="col">{t('dashboard.script_findings')}</th>
          </tr>
        </thead>
        <tbody>
          {props.versions.map((row) => (
            <tr>
              <td>
                <a href={`/dashboard/scripts/${row.scriptId}/${row.version}`}>
                  {row.scriptId} v{row.version}
                </a>
              </td>
              <td>{t(`dashboard.script_status_${row.status}`)}</td>
              <td>{row.publishedAt ? row.publishedAt.toISOString().slice(0, 16).replace('T', ' ') : '—'}</td>
              <td>
                {row.findings.length === 0 ? (
                  t('dashboard.script_clean')
                ) : (
                  <>
                    {String(row.findings.length)}:{' '}
                    {[...new Set(row.findings.map((finding) => finding.code))].map((code, index) => (
                      <>
                        {index > 0 ? ', ' : ''}
                        <code>{code}</code>
                      </>
                    ))}
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}

/**
 * One version: its lint findings, and a simulator that walks it as a resident would — the questions asked so
 * far with the answers given, then the next question with its options as buttons (or the level it ends at).
 */
export function ScriptVersionPage(props: {
  viewer: TViewer;
  row: TScriptVersionRow;
  findings: readonly TFinding[];
  script: TScript | null;
  simulation: { locale: string; answers: readonly string[]; result: TSimulation } | undefined;
}) {
  const { viewer, row, script, simulation } = props;
  const { t } = viewer;
  const path = `/dashboard/scripts/${row.scriptId}/${row.version}`;
  return (
    <Layout viewer={viewer} title={`${row.scriptId} v${row.version}`} path={path}>
      <p>{t(`dashboard.script_status_${row.status}`)}</p>
      <section>
        <h2>{t('dashboard.script_findings')}</h2>
        {props.findings.length === 0 ? (
          <p>{t('dashboard.script_clean')}</p>
        ) : (
          <ul>
            {props.findings.map((finding) => (
              <li>
                <code>
                  {finding.line}:{finding.col} {finding.code}
                </code>{' '}
                {finding.message}
              </li>
            ))}
          </ul>
        )}
      </section>
      {script ? <Simulator viewer={viewer} script={script} path={path} simulation={simulation} /> : null}
    </Layout>
  );
}

function Simulator(props: {
  viewer: TViewer;
  script: TScript;
  path: string;
  simulation: { locale: string; answers: readonly string[]; result: TSimulation } | undefined;
}) {
  const { viewer, script, path } = props;
  const { t } = viewer;
  const locale =
    props.simulation?.locale ?? (script.locales.includes(viewer.locale) ? viewer.locale : script.locales[0]);
  const answers = props.simulation?.answers ?? [];
  const result = props.simulation?.result;
  const labels = scriptLabels(script, locale ?? 'en');
  const text = (value: Parameters<typeof localize>[0]) => localize(value, locale ?? 'en', script.locales);
  const waiting =
    result?.type === 'asking' || result?.type === 'reask'
      ? script.questions.find((question) => question.id === result.questionId)
      : script.questions[0];
  return (
    <section>
      <h2>{t('dashboard.simulator')}</h2>
      <p class="muted">{t('dashboard.simulator_note')}</p>
      <form method="get" action={path}>
        <label>
          {t('dashboard.simulator_locale')}{' '}
          <select name="locale">
            {script.locales.map((option) => (
              <option value={option} selected={option === locale}>
                {option}
              </option>
            ))}
          </select>
        </label>
        <label for="answers">{t('dashboard.simulator_answers')}</label>
        <textarea id="answers" name="answers" rows={4}>
          {answers.join('\n')}
        </textarea>
        {result ? (
          <ol>
            {result.type === 'no-locale'
              ? null
              : result.path.map((questionId, index) => (
                  <li>
                    {labels.question(questionId)}: <strong>{answers[index] ?? ''}</strong>
                  </li>
                ))}
          </ol>
        ) : null}
        {result?.type === 'reask' ? (
          <p class="notice">
            {t('dashboard.simulator_reask', { answer: result.answer, reason: result.reason })}
          </p>
        ) : null}
        {result?.type === 'done' ? (
          <p class="notice" role="status">
            {t('dashboard.simulator_done', {
              level: t(`level.${result.level}`),
              scores: Object.entries(result.scores)
                .map(
                  ([id, score]) => `${labels.indicator(id)} ${score.total} (${labels.band(id, score.band)})`,
                )
                .join('; '),
            })}
          </p>
        ) : waiting ? (
          <fieldset>
            <legend>{text(waiting.text)}</legend>
            {waiting.options.map((option) => (
              <button type="submit" name="next" value={option.id}>
                {text(option.label)}
              </button>
            ))}
            {waiting.kind === 'free_text' ? <p class="muted">{t('dashboard.simulator_free_text')}</p> : null}
          </fieldset>
        ) : null}
        <button type="submit">{t('dashboard.simulator_run')}</button>
      </form>
    </section>
  );
}
