import type { TCrisisPatterns } from '../domain/risk/crisis-patterns.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { recordAuditAction } from './audit.ts';
import { loadCrisisPatterns } from './load-risk-data.ts';
import { readSetting, writeSetting } from './settings.ts';

/** Terms admins added, by locale and word list: `{ en: { WEAPONS: ['crowbar'] } }`. */
export type TLexiconAdditions = Record<string, Record<string, string[]>>;

/**
 * The crisis patterns' word lists, extended at run time (the admin API): a supervisor who hears a new local
 * word for a weapon or a poison adds it, and every instance reads messages with it within a second — the
 * shipped file stays as reviewed. The additions live in the database; each process recompiles its live
 * patterns (the array every reader holds) when they change.
 */
export async function readLexiconAdditions(deps: { prisma: PrismaClient }): Promise<{
  additions: TLexiconAdditions;
  updatedAt: Date | undefined;
}> {
  const stored = await readSetting(deps, 'crisis-lexicons');
  return { additions: (stored?.value ?? {}) as TLexiconAdditions, updatedAt: stored?.updatedAt };
}

/**
 * Recompiles every locale's patterns with the additions and puts them in `live`, in place. A locale whose
 * patterns do not compile with them keeps what it had (the change was checked before it was stored).
 */
export function applyLexiconAdditions(live: TCrisisPatterns[], additions: TLexiconAdditions): void {
  live.forEach((current, index) => {
    const loaded = loadCrisisPatterns(current.locale, { lexiconAdditions: additions[current.locale] ?? {} });
    if (loaded.ok) live[index] = loaded.value;
  });
}

export type TLexiconChange =
  | { type: 'changed'; locale: string; name: string; added: string[] }
  | { type: 'refused'; problems: string[] };

/**
 * Adds terms to (or takes admin-added terms from) one word list of one locale: checked by compiling the
 * patterns with it, then stored, audited and applied to this process.
 */
export async function changeLexicon(
  deps: { prisma: PrismaClient },
  input: {
    locale: string;
    name: string;
    add: readonly string[];
    remove: readonly string[];
    live: TCrisisPatterns[];
    actor: string;
    now: Date;
  },
): Promise<TLexiconChange> {
  const { additions } = await readLexiconAdditions(deps);
  const shipped = loadCrisisPatterns(input.locale);
  if (!shipped.ok) return { type: 'refused', problems: [`No crisis patterns for "${input.locale}".`] };
  const fileTerms = shipped.value.lexicons[input.name];
  if (!fileTerms)
    return { type: 'refused', problems: [`There is no word list "${input.name}" in ${input.locale}.`] };
  const fromFile = input.remove.filter((term) => fileTerms.includes(term));
  if (fromFile.length > 0)
    return {
      type: 'refused',
      problems: [`In the shipped file, removed only by changing it: ${fromFile.join(', ')}`],
    };
  const localeAdditions = { ...(additions[input.locale] ?? {}) };
  const kept = (localeAdditions[input.name] ?? []).filter((term) => !input.remove.includes(term));
  const added = [...kept, ...input.add.filter((term) => !kept.includes(term) && !fileTerms.includes(term))];
  localeAdditions[input.name] = added;
  const checked = loadCrisisPatterns(input.locale, { lexiconAdditions: localeAdditions });
  if (!checked.ok) return { type: 'refused', problems: checked.errors };
  const next = { ...additions, [input.locale]: localeAdditions };
  await writeSetting(deps, { key: 'crisis-lexicons', value: next, now: input.now });
  await recordAuditAction(deps, {
    type: 'crisis-lexicon.changed',
    actor: input.actor,
    now: input.now,
    detail: { locale: input.locale, list: input.name, added: input.add.length, removed: input.remove.length },
  });
  applyLexiconAdditions(input.live, next);
  return { type: 'changed', locale: input.locale, name: input.name, added };
}
