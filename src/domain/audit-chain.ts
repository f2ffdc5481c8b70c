import { createHash } from 'node:crypto';

/**
 * The audit log's hash chain, pure: each entry's hash is SHA-256 over the previous entry's hash and the entry's
 * canonical content (its id, case, type, actor, detail and time, keys sorted), so changing, removing or
 * reordering any sealed entry breaks every hash after it.
 */

export type TChainEntry = {
  id: number;
  caseId: number | null;
  type: string;
  actor: string;
  detail: unknown;
  createdAt: Date;
};

export type TSealedEntry = TChainEntry & { chainSeq: number | null; hash: string | null };

/** The hash before the first entry. */
export const CHAIN_START = '0'.repeat(64);

/** @example chainHash(CHAIN_START, entry) // '3f1c…' (64 hex characters) */
export function chainHash(previousHash: string, entry: TChainEntry): string {
  return createHash('sha256').update(previousHash).update('\n').update(canonicalContent(entry)).digest('hex');
}

/** JSON with keys in sorted order at every depth: the same content always gives the same text. */
export function canonicalContent(entry: TChainEntry): string {
  return canonicalJson({
    actor: entry.actor,
    caseId: entry.caseId,
    createdAt: entry.createdAt.toISOString(),
    detail: entry.detail ?? null,
    id: entry.id,
    type: entry.type,
  });
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export type TChainProblem = {
  /** The chain position where it breaks, and the entry found there (if any). */
  chainSeq: number;
  entryId: number | undefined;
  problem: 'missing' | 'changed' | 'out-of-order';
};

/**
 * Walks sealed entries in chain order and names the first place the chain breaks: a position with no entry
 * (`missing`: removed), an entry whose hash does not match its content (`changed`), or an entry whose hash would
 * match at another position (`out-of-order`: moved or swapped). Undefined when every entry holds.
 *
 * @example verifyChain(rows) // undefined, or { chainSeq: 42, entryId: 977, problem: 'changed' }
 */
export function verifyChain(sealed: readonly TSealedEntry[]): TChainProblem | undefined {
  const ordered = [...sealed].sort((a, b) => (a.chainSeq ?? 0) - (b.chainSeq ?? 0));
  let previous = CHAIN_START;
  for (let i = 0; i < ordered.length; i += 1) {
    const entry = ordered[i];
    if (!entry) break;
    const expectedSeq = i + 1;
    if (entry.chainSeq !== expectedSeq)
      return { chainSeq: expectedSeq, entryId: undefined, problem: 'missing' };
    const hash = chainHash(previous, entry);
    if (hash !== entry.hash) {
      // Its own content hashes correctly on some other predecessor: it was moved, not edited.
      const movedFrom = ordered.some(
        (other) => other.hash !== null && chainHash(other.hash, entry) === entry.hash,
      );
      return { chainSeq: expectedSeq, entryId: entry.id, problem: movedFrom ? 'out-of-order' : 'changed' };
    }
    previous = hash;
  }
  return undefined;
}
