import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  DEFAULT_ESCALATION_POLICY,
  type TEscalationPolicy,
  ZEscalationPolicy,
} from '../domain/escalation/index.ts';

/** The policy file cannot be used; the message names the file and every problem in it. */
export class EscalationPolicyError extends Error {
  readonly code = 'ESCALATION_POLICY_INVALID';
  override readonly name = 'EscalationPolicyError';
}

/**
 * The escalation policy: the defaults, overridden by the YAML file `ESCALATION_POLICY_FILE` names. Read once
 * at start, so a bad file stops the start with a clear message instead of paging on a half-read policy.
 *
 * @throws {EscalationPolicyError} unreadable file, invalid YAML, unknown key or bad value.
 * @example
 * const policy = loadEscalationPolicy(config.escalationPolicyFile); // defaults when undefined
 */
export function loadEscalationPolicy(file?: string): TEscalationPolicy {
  if (file === undefined) return DEFAULT_ESCALATION_POLICY;
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new EscalationPolicyError(`Cannot read the escalation policy file ${file}: ${errorText(error)}`);
  }
  let document: unknown;
  try {
    document = parseYaml(source);
  } catch (error) {
    throw new EscalationPolicyError(
      `The escalation policy file ${file} is not valid YAML: ${errorText(error)}`,
    );
  }
  const parsed = ZEscalationPolicy.safeParse(document ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.join('.');
    const message =
      issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message;
    return `  - ${path || '(top level)'}: ${message}`;
  });
  throw new EscalationPolicyError(
    `The escalation policy file ${file} has ${problems.length} problem(s):\n${problems.join('\n')}\n` +
      'Expected e.g.:\n  acknowledgeTimeout: { imminent: 1m, high: 5m, moderate: 4h, low: 4h }\n  repeats: 2',
  );
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
