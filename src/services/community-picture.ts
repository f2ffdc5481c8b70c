import { currentClient, deferWrite } from '../db/unit-of-work.ts';
import {
  buildCommunityPicture,
  groupCounts,
  type TCommunityPicture,
  type TGroupCounts,
} from '../domain/community/picture.ts';
import { groupFigures } from '../domain/groups/figures.ts';
import type { TCommunityTally, TScript } from '../domain/script/index.ts';
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';

/** How many weeks the community picture shows. */
export const COMMUNITY_WEEKS = 12;

/**
 * Counts a finished screening for the community picture, at the commit of the screening's own transaction.
 * The row names no one: the day (not the time), the level, bands, themes and the area chosen.
 */
export async function recordCommunityTally(
  deps: { prisma: PrismaClient },
  input: { screeningId: string; scriptId: string; tally: TCommunityTally; now: Date },
): Promise<void> {
  const { tally } = input;
  const themes =
    tally.themes.length === 0
      ? Prisma.sql`'{}'::text[]`
      : Prisma.sql`ARRAY[${Prisma.join(tally.themes)}]::text[]`;
  await deferWrite(
    deps.prisma,
    `community-tally:${input.screeningId}`,
    Prisma.sql`INSERT INTO "CommunityTally" ("day", "scriptId", "level", "bands", "themes", "area")
      VALUES (${input.now.toISOString().slice(0, 10)}::date, ${input.scriptId}, ${tally.level},
        ${JSON.stringify(tally.bands)}::jsonb, ${themes}, ${tally.area ?? null})`,
  );
}

/**
 * The community picture of the last {@link COMMUNITY_WEEKS} weeks, with the themes of `script` (the one
 * residents answer now), cells under 5 suppressed.
 */
export async function readCommunityPicture(
  deps: { prisma: PrismaClient },
  input: { now: Date; script: TScript | undefined },
): Promise<TCommunityPicture> {
  const since = new Date(input.now.getTime() - (COMMUNITY_WEEKS + 1) * 7 * 86_400_000);
  const rows = await currentClient(deps.prisma).communityTally.findMany({
    where: { day: { gte: since } },
    select: { day: true, level: true, bands: true, themes: true, area: true },
  });
  return buildCommunityPicture(
    rows.map((row) => ({
      ...row,
      bands: typeof row.bands === 'object' && row.bands !== null ? (row.bands as Record<string, string>) : {},
    })),
    {
      now: input.now,
      weeks: COMMUNITY_WEEKS,
      themes: (input.script?.community?.themes ?? []).map((theme) => theme.id),
    },
  );
}

/**
 * The support groups' figures for the community picture, over its weeks (see `groupFigures` for what counts,
 * `groupCounts` for the suppressed cells).
 */
export async function readGroupCounts(
  deps: { prisma: PrismaClient },
  input: { weeks: readonly string[] },
): Promise<TGroupCounts[]> {
  const db = currentClient(deps.prisma);
  const since = new Date(`${input.weeks[0] ?? '1970-01-01'}T00:00:00Z`);
  const [groups, memberships, offers, events] = await Promise.all([
    db.supportGroup.findMany({ where: { status: { not: 'archived' } }, orderBy: { id: 'asc' } }),
    db.groupMembership.findMany({ select: { groupId: true, status: true } }),
    db.groupOffer.findMany({ select: { groupId: true, acceptedAt: true } }),
    db.caseEvent.findMany({
      where: { type: { in: ['group.joined', 'group.left'] }, createdAt: { gte: since } },
      select: { type: true, detail: true, createdAt: true },
    }),
  ]);
  const figures = groupFigures({ groups, memberships, offers, events });
  return groupCounts(figures.groups, figures.moves, input.weeks);
}
