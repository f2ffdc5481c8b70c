import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';

/** The settings admins change at run time, over what the files say (see `Setting` in the schema). */
export type TSettingKey = 'escalation-policy' | 'crisis-lexicons';

/** A stored setting and when it last changed; undefined when nobody set it. */
export async function readSetting(
  deps: { prisma: PrismaClient },
  key: TSettingKey,
): Promise<{ value: unknown; updatedAt: Date } | undefined> {
  const row = await deps.prisma.setting.findUnique({ where: { key } });
  return row ? { value: row.value, updatedAt: row.updatedAt } : undefined;
}

export async function writeSetting(
  deps: { prisma: PrismaClient },
  input: { key: TSettingKey; value: Prisma.InputJsonValue; now: Date },
): Promise<void> {
  await deps.prisma.setting.upsert({
    where: { key: input.key },
    create: { key: input.key, value: input.value, updatedAt: input.now },
    update: { value: input.value, updatedAt: input.now },
  });
}
