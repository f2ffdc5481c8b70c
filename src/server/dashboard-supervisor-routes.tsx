import type { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { z } from 'zod';
import { communityCsv } from '../domain/community/picture.ts';
import {
  ID_LABELS,
  lintScriptText,
  localize,
  scriptLabels,
  simulateScript,
  type TScript,
} from '../domain/script/index.ts';
import { recordAuditAction } from '../services/audit.ts';
import { workerTexts } from '../services/case-work.ts';
import { readCommunityPicture, readGroupCounts } from '../services/community-picture.ts';
import { readCaseStatistics } from '../services/dashboard-statistics.ts';
import { describeOutcome } from '../services/outcome-wording.ts';
import { addShift, listShifts, removeShift } from '../services/rota.ts';
import { listScriptVersions, scriptSource } from '../services/script-versions.ts';
import { workerActor } from '../services/workers.ts';
import type { refusalsIn, TDashboardDeps, TDashboardEnv } from './dashboard.tsx';
import { CommunityPage, type TCommunityLabels } from './dashboard-community-page.tsx';
import { documentOf } from './dashboard-layout.tsx';
import { RotaPage } from './dashboard-rota-page.tsx';
import { ScriptsPage, ScriptVersionPage } from './dashboard-scripts-page.tsx';
import { StatisticsPage } from './dashboard-statistics-page.tsx';

/** A shift's or a script version's number in an address. */
const ZRowId = z.coerce.number().int().positive().max(2_147_483_647);
const ZLocalTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
const ZShift = z.object({
  worker: z.string().regex(/^\d{1,9}$/),
  from: ZLocalTime,
  to: ZLocalTime,
  offset: z.coerce.number().int().min(-840).max(840).default(0),
});
const ZSimulation = z.object({
  locale: z.string().min(2).max(20).optional(),
  answers: z.string().max(20_000).optional(),
  next: z.string().max(200).optional(),
});

/**
 * The supervisors' pages of the dashboard: the community picture (and its CSV), statistics, the rota and the
 * script versions with their simulator. Anyone else is refused (403).
 */
export function addSupervisorRoutes(
  app: Hono<TDashboardEnv>,
  deps: TDashboardDeps,
  tools: { clock: () => Date; refuse: ReturnType<typeof refusalsIn> },
): void {
  const { clock, refuse } = tools;
  const supervisorsOnly = createMiddleware<TDashboardEnv>(async (c, next) => {
    if (c.var.session.worker.role !== 'supervisor') return refuse(c, 403, 'supervisors');
    return next();
  });

  app.get('/community', supervisorsOnly, async (c) => {
    const { viewer } = c.var;
    const script = await deps.scripts.latest(deps.scriptId);
    const picture = await readCommunityPicture(deps, { now: clock(), script });
    const groups = await readGroupCounts(deps, { weeks: picture.weeks });
    return c.html(
      documentOf(
        <CommunityPage
          viewer={viewer}
          picture={picture}
          groups={groups}
          labels={communityLabels(script, viewer.locale)}
        />,
      ),
    );
  });

  app.get('/community.csv', supervisorsOnly, async (c) => {
    const script = await deps.scripts.latest(deps.scriptId);
    const picture = await readCommunityPicture(deps, { now: clock(), script });
    const groups = await readGroupCounts(deps, { weeks: picture.weeks });
    await recordAuditAction(deps, {
      type: 'data.exported',
      actor: workerActor(c.var.session.worker.id),
      now: clock(),
      detail: { what: 'community-picture' },
    });
    c.header('Content-Type', 'text/csv; charset=utf-8');
    c.header('Content-Disposition', 'attachment; filename="community-picture.csv"');
    return c.body(communityCsv(picture, groups));
  });

  app.get('/statistics', supervisorsOnly, async (c) => {
    const { viewer } = c.var;
    const statistics = await readCaseStatistics(deps, { now: clock() });
    const workerT = workerTexts(deps, viewer.locale);
    return c.html(
      documentOf(
        <StatisticsPage
          viewer={viewer}
          statistics={statistics}
          outcomeLabel={(code) => describeOutcome(workerT, code)}
        />,
      ),
    );
  });

  app.get('/rota', supervisorsOnly, async (c) => {
    const now = clock();
    const [shifts, workers] = await Promise.all([
      listShifts(deps.prisma, { now, includePast: false }),
      deps.prisma.worker.findMany({
        where: { isActive: true },
        orderBy: { name: 'asc' },
        select: { id: true, name: true },
      }),
    ]);
    const notice = c.req.query('notice');
    return c.html(
      documentOf(
        <RotaPage
          viewer={c.var.viewer}
          shifts={shifts}
          workers={workers}
          notice={notice && /^[a-z_]{1,40}$/.test(notice) ? notice : undefined}
        />,
      ),
    );
  });

  app.post('/rota', supervisorsOnly, async (c) => {
    const parsed = ZShift.safeParse(await c.req.parseBody());
    if (!parsed.success) return refuse(c, 400, 'shift');
    const { worker, from, to, offset } = parsed.data;
    // The browser's local time: its offset (minutes behind UTC) turns it into an instant.
    const [startsAt, endsAt] = [from, to].map(
      (local) => new Date(Date.parse(`${local}:00Z`) + offset * 60_000),
    );
    if (!startsAt || !endsAt || Number.isNaN(startsAt.getTime()) || Number.isNaN(endsAt.getTime()))
      return refuse(c, 400, 'shift');
    if (endsAt <= startsAt) return c.redirect('/dashboard/rota?notice=end_before_start', 303);
    const added = await addShift(deps.prisma, {
      worker,
      startsAt,
      endsAt,
      now: clock(),
      actor: workerActor(c.var.session.worker.id),
    });
    return c.redirect(`/dashboard/rota?notice=${added.type.replaceAll('-', '_')}`, 303);
  });

  app.post('/rota/:id/remove', supervisorsOnly, async (c) => {
    const shiftId = ZRowId.safeParse(c.req.param('id'));
    if (!shiftId.success) return refuse(c, 404, 'no_shift');
    const removed = await removeShift(
      deps.prisma,
      shiftId.data,
      clock(),
      workerActor(c.var.session.worker.id),
    );
    return c.redirect(`/dashboard/rota?notice=${removed ? 'removed' : 'not_found'}`, 303);
  });

  app.get('/scripts', supervisorsOnly, async (c) => {
    const rows = await listScriptVersions(deps);
    const versions = await Promise.all(
      rows.map(async (row) => {
        const source = await scriptSource(deps, row);
        return { ...row, findings: source === undefined ? [] : lintScriptText(source).findings };
      }),
    );
    return c.html(documentOf(<ScriptsPage viewer={c.var.viewer} versions={versions} />));
  });

  app.get('/scripts/:id/:version', supervisorsOnly, async (c) => {
    const version = ZRowId.safeParse(c.req.param('version'));
    const row = version.success
      ? (await listScriptVersions(deps)).find(
          (candidate) => candidate.scriptId === c.req.param('id') && candidate.version === version.data,
        )
      : undefined;
    const source = row ? await scriptSource(deps, row) : undefined;
    if (!row || source === undefined) return refuse(c, 404, 'no_script');
    const checked = lintScriptText(source);
    const query = ZSimulation.safeParse(c.req.query());
    if (!query.success) return refuse(c, 400, 'answers');
    const { locale, answers, next } = query.data;
    const given = [
      ...(answers ?? '')
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean),
      ...(next ? [next] : []),
    ];
    const simulation =
      checked.script && locale
        ? { locale, answers: given, result: simulateScript(checked.script, locale, given) }
        : undefined;
    return c.html(
      documentOf(
        <ScriptVersionPage
          viewer={c.var.viewer}
          row={row}
          findings={checked.findings}
          script={checked.script}
          simulation={simulation}
        />,
      ),
    );
  });
}

/** The community picture's names in `locale`: the script's labels and its themes' own. */
function communityLabels(script: TScript | undefined, locale: string): TCommunityLabels {
  if (!script) return { script: ID_LABELS, theme: (id) => id };
  const themes = new Map((script.community?.themes ?? []).map((theme) => [theme.id, theme.label]));
  const label = (id: string) => {
    const text = themes.get(id);
    return text ? localize(text, locale, script.locales) : id;
  };
  return {
    script: scriptLabels(script, locale),
    theme: label,
    ...(script.community?.area ? { areaQuestion: script.community.area } : {}),
  };
}
