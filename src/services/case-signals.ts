import type { TDataProtector } from './data-protection.ts';

/** Crisis and grievance signals on a case quote the resident, so they are sealed under their own context. */
/** The field a case's signals are sealed for. */
export const CASE_SIGNALS_CONTEXT = 'case-signals';

/** A case's signals, opened; undefined when there are none or they no longer open (a retired key). */
export function openCaseSignals(protector: TDataProtector, sealed: string | null): unknown {
  if (sealed === null) return undefined;
  try {
    return JSON.parse(protector.open(sealed, CASE_SIGNALS_CONTEXT));
  } catch {
    return undefined;
  }
}

/**
 * A case's signals, sealed: what it held, with the new kinds of signal over it (a screening's grievance
 * signals join the crisis signals of an earlier message rather than replacing them). Undefined: nothing new.
 */
export function sealCaseSignals(
  protector: TDataProtector,
  sealed: string | null,
  signals: unknown,
): string | undefined {
  if (signals === undefined) return undefined;
  const opened = openCaseSignals(protector, sealed);
  const held = typeof opened === 'object' && opened !== null ? opened : {};
  const incoming = typeof signals === 'object' && signals !== null ? signals : { value: signals };
  return protector.seal(JSON.stringify({ ...held, ...incoming }), CASE_SIGNALS_CONTEXT);
}
