import { CASE_LEVELS } from '../domain/escalation/index.ts';
import { DURATION_BUCKETS_MIN, type TCaseStatistics } from '../services/dashboard-statistics.ts';
import { BarChart, StackedColumns } from './dashboard-charts.tsx';
import { CountTable } from './dashboard-community-page.tsx';
import { Layout, type TViewer } from './dashboard-layout.tsx';

const LEVELS = CASE_LEVELS;

/**
 * Statistics for supervisors: cases opened per day by level, how long cases waited to be claimed and to be
 * resolved, pages per escalation step, and outcomes — as charts, with their figures in tables.
 */
export function StatisticsPage(props: {
  viewer: TViewer;
  statistics: TCaseStatistics;
  outcomeLabel: (code: string) => string;
}) {
  const { viewer, statistics } = props;
  const { t } = viewer;
  const buckets = [
    ...DURATION_BUCKETS_MIN.map((bound) => t('dashboard.under', { duration: duration(t, bound) })),
    t('dashboard.longer', { duration: duration(t, DURATION_BUCKETS_MIN.at(-1) ?? 0) }),
  ];
  const bars = (counts: readonly number[]) =>
    counts.map((count, index) => ({ label: buckets[index] ?? '', value: count, text: String(count) }));
  return (
    <Layout viewer={viewer} title={t('dashboard.statistics_title')} path="/dashboard/statistics">
      <section>
        <h2>{t('dashboard.cases_per_day')}</h2>
        <StackedColumns
          title={t('dashboard.cases_per_day')}
          periods={statistics.days.map((day) => day.slice(5))}
          series={LEVELS.map((level) => ({
            name: t(`level.${level}`),
            values: statistics.openedByLevel[level] ?? [],
          }))}
        />
        <CountTable
          head={[t('dashboard.day'), ...LEVELS.map((level) => t(`level.${level}`))]}
          rows={statistics.days
            .map((day, index) => [
              day,
              ...LEVELS.map((level) => String(statistics.openedByLevel[level]?.[index] ?? 0)),
            ])
            .filter((row) => row.slice(1).some((cell) => cell !== '0'))}
        />
      </section>
      <section>
        <h2>{t('dashboard.time_to_claim')}</h2>
        <BarChart title={t('dashboard.time_to_claim')} bars={bars(statistics.timeToClaim)} />
      </section>
      <section>
        <h2>{t('dashboard.time_to_resolve')}</h2>
        <BarChart title={t('dashboard.time_to_resolve')} bars={bars(statistics.timeToResolve)} />
      </section>
      <section>
        <h2>{t('dashboard.pages_by_step')}</h2>
        <BarChart
          title={t('dashboard.pages_by_step')}
          bars={statistics.pagesByStep.map((entry) => ({
            label: t('dashboard.step', { step: entry.step }),
            value: entry.pages,
            text: String(entry.pages),
          }))}
        />
      </section>
      <section>
        <h2>{t('dashboard.outcomes')}</h2>
        <BarChart
          title={t('dashboard.outcomes')}
          bars={statistics.outcomes.map((entry) => ({
            label: props.outcomeLabel(entry.outcome),
            value: entry.cases,
            text: String(entry.cases),
          }))}
        />
      </section>
    </Layout>
  );
}

function duration(t: TViewer['t'], minutes: number): string {
  return minutes < 60
    ? t('waiting.minutes', { minutes })
    : t('waiting.hours', { hours: Math.floor(minutes / 60), minutes: minutes % 60 });
}
