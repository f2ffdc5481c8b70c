import { readFileSync } from 'node:fs';
import type { Prisma, PrismaClient } from '../../src/generated/prisma/client.ts';

/**
 * Every row of every table, by model. Typed by `Prisma.ModelName`, so a model added to the schema without
 * a line here fails to compile: an erasure check cannot silently miss a table.
 *
 * @example
 * const rows = await readEveryTable(app.prisma);
 * expect(dumpText(rows)).not.toContain(residentId);
 */
export async function readEveryTable(prisma: PrismaClient): Promise<Record<Prisma.ModelName, unknown[]>> {
  return {
    Resident: await prisma.resident.findMany(),
    ScriptVersion: await prisma.scriptVersion.findMany(),
    Screening: await prisma.screening.findMany(),
    Case: await prisma.case.findMany(),
    Worker: await prisma.worker.findMany(),
    Invitation: await prisma.invitation.findMany(),
    RotaShift: await prisma.rotaShift.findMany(),
    OutboxMessage: await prisma.outboxMessage.findMany(),
    CaseMessage: await prisma.caseMessage.findMany(),
    CaseNote: await prisma.caseNote.findMany(),
    CaseEvent: await prisma.caseEvent.findMany(),
    ProcessedUpdate: await prisma.processedUpdate.findMany(),
    BotSession: await prisma.botSession.findMany(),
    AdminToken: await prisma.adminToken.findMany(),
    Setting: await prisma.setting.findMany(),
    DashboardLink: await prisma.dashboardLink.findMany(),
    DashboardSession: await prisma.dashboardSession.findMany(),
    CommunityTally: await prisma.communityTally.findMany(),
    Erasure: await prisma.erasure.findMany(),
    SupportGroup: await prisma.supportGroup.findMany(),
    GroupMembership: await prisma.groupMembership.findMany(),
    GroupOffer: await prisma.groupOffer.findMany(),
  };
}

/** The tables as one text, BigInts as decimal, for "does this appear anywhere" checks. */
export function dumpText(tables: Record<string, unknown[]>): string {
  return JSON.stringify(tables, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

/** The models `prisma/schema.prisma` declares, read from the file itself. */
export function schemaModelNames(): string[] {
  const schema = readFileSync(new URL('../../prisma/schema.prisma', import.meta.url), 'utf8');
  return [...schema.matchAll(/^model\s+(\w+)\s*\{/gm)].map((match) => match[1] ?? '');
}
