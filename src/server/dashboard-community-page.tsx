import {
  drawnValue,
  SMALL_CELL,
  type TCell,
  type TCommunityPicture,
  type TGroupCounts,
} from '../domain/community/picture.ts';
import { RISK_LEVELS } from '../domain/risk/level.ts';
import type { TScriptLabels } from '../domain/script/index.ts';
import { BarChart, StackedColumns } from './dashboard-charts.tsx';
import { Layout, type TViewer } from './dashboard-layout.tsx';

const LEVELS = RISK_LEVELS;

/** The names the picture shows: the script's labels, and its themes' labels in the reader's language. */
export type TCommunityLabels = {
  script: TScriptLabels;
  theme: (id: string) => string;
  areaQuestion?: string;
};

/**
 * The community picture (supervisors): screenings by level over the weeks, distress and grievance bands,
 * grievance themes, and areas — counts only, small cells suppressed — with a note on what they can and
 * cannot tell.
 */
export function CommunityPage(props: {
  viewer: TViewer;
  picture: TCommunityPicture;
  labels: TCommunityLabels;
  /** The support groups' figures, same suppression. */
  groups: readonly TGroupCounts[];
}) {
  const { viewer, picture, labels } = props;
  const { t } = viewer;
  const cellText = (cell: TCell | undefined) =>
    cell && 'count' in cell
      ? String(cell.count)
      : cell && 'hidden' in cell
        ? t('dashboard.not_shown')
        : t('dashboard.fewer_than', { n: SMALL_CELL });
  const week = (monday: string) => monday.slice(5);
  const themeIds = Object.keys(picture.themes);
  return (
    <Layout viewer={viewer} title={t('dashboard.community_title')} path="/dashboard/community">
      <p class="notice">{t('dashboard.community_note', { n: SMALL_CELL })}</p>
      <p>
        <a href="/dashboard/community.csv" download>
          {t('dashboard.community_csv')}
        </a>
      </p>

      <section>
        <h2>{t('dashboard.community_levels')}</h2>
        <StackedColumns
          title={t('dashboard.community_levels')}
          periods={picture.weeks.map(week)}
          series={LEVELS.map((level) => ({
            name: t(`level.${level}`),
            values: (picture.levels[level] ?? []).map(drawnValue),
          }))}
        />
        <CountTable
          head={[
            t('dashboard.week'),
            ...LEVELS.map((level) => t(`level.${level}`)),
            t('dashboard.screenings'),
          ]}
          rows={picture.weeks.map((monday, index) => [
            monday,
            ...LEVELS.map((level) => cellText(picture.levels[level]?.[index])),
            cellText(picture.screenings[index]),
          ])}
        />
      </section>

      <section>
        <h2>{t('dashboard.community_bands')}</h2>
        {Object.entries(picture.bands).map(([indicator, bands]) => {
          const byWeek = picture.bandsByWeek[indicator] ?? {};
          return (
            <>
              <BarChart
                title={labels.script.indicator(indicator)}
                bars={Object.entries(bands).map(([band, cell]) => ({
                  label: labels.script.band(indicator, band),
                  value: drawnValue(cell),
                  text: cellText(cell),
                }))}
              />
              <CountTable
                head={[
                  t('dashboard.week'),
                  ...Object.keys(byWeek).map((band) => labels.script.band(indicator, band)),
                ]}
                rows={picture.weeks.map((monday, index) => [
                  monday,
                  ...Object.values(byWeek).map((cells) => cellText(cells[index])),
                ])}
              />
            </>
          );
        })}
      </section>

      {themeIds.length > 0 ? (
        <section>
          <h2>{t('dashboard.community_themes')}</h2>
          <BarChart
            title={t('dashboard.community_themes_total')}
            bars={themeIds.map((theme) => ({
              label: labels.theme(theme),
              value: drawnValue(picture.themeTotals[theme] ?? { fewerThan: SMALL_CELL }),
              text: cellText(picture.themeTotals[theme]),
            }))}
          />
          <CountTable
            head={[t('dashboard.week'), ...themeIds.map(labels.theme)]}
            rows={picture.weeks.map((monday, index) => [
              monday,
              ...themeIds.map((theme) => cellText(picture.themes[theme]?.[index])),
            ])}
          />
        </section>
      ) : null}

      <section>
        <h2>{t('dashboard.community_areas')}</h2>
        {picture.areas.length === 0 ? (
          <p class="muted">{t('dashboard.community_no_areas')}</p>
        ) : (
          <>
            <BarChart
              title={t('dashboard.screenings')}
              bars={picture.areas.map((area) => ({
                label: areaLabel(labels, area.area),
                value: drawnValue(area.screenings),
                text: cellText(area.screenings),
              }))}
            />
            <CountTable
              head={[
                t('dashboard.area'),
                t('dashboard.screenings'),
                t('dashboard.high_or_above'),
                ...themeIds.map(labels.theme),
              ]}
              rows={picture.areas.map((area) => [
                areaLabel(labels, area.area),
                cellText(area.screenings),
                cellText(area.highOrAbove),
                ...themeIds.map((theme) => cellText(area.themes[theme])),
              ])}
            />
          </>
        )}
      </section>
      {props.groups.length > 0 ? (
        <section>
          <h2>{t('dashboard.community_groups')}</h2>
          <CountTable
            head={[
              t('dashboard.group'),
              t('dashboard.group_members'),
              t('dashboard.group_offered'),
              t('dashboard.group_accepted'),
            ]}
            rows={props.groups.map((group) => [
              group.slug,
              cellText(group.members),
              cellText(group.offered),
              cellText(group.accepted),
            ])}
          />
          <CountTable
            head={[
              t('dashboard.week'),
              ...props.groups.map((group) => `${group.slug} (${t('dashboard.joins_leaves')})`),
            ]}
            rows={picture.weeks.map((monday, index) => [
              monday,
              ...props.groups.map(
                (group) => `${cellText(group.joins[index])} / ${cellText(group.leaves[index])}`,
              ),
            ])}
          />
        </section>
      ) : null}
    </Layout>
  );
}

function areaLabel(labels: TCommunityLabels, area: string): string {
  return labels.areaQuestion ? labels.script.option(labels.areaQuestion, area) : area;
}

/** The figures themselves, as a table: what the chart draws, readable by anyone and any screen reader. */
export function CountTable(props: { head: readonly string[]; rows: ReadonlyArray<readonly string[]> }) {
  return (
    <table>
      <thead>
        <tr>
          {props.head.map((cell) => (
            <th scope="col">{cell}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr>{row.map((cell, index) => (index === 0 ? <th scope="row">{cell}</th> : <td>{cell}</td>))}</tr>
        ))}
      </tbody>
    </table>
  );
}
