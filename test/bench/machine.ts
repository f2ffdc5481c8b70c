/**
 * What the figures were measured on: the same bot gives other numbers on another machine, so the report
 * always says which (CPU, cores, memory, Node, load) and which checkout of Bridgeline ran.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

export type TMachine = {
  cpuModel: string;
  cores: number;
  ramGb: number;
  node: string;
  /** 1-minute load average when the run started: a busy machine gives slower, noisier figures. */
  loadAtStart: number;
  botDir: string;
  /** `abc1234`, `abc1234 + uncommitted changes`, or why it is unknown. */
  botCommit: string;
};

/**
 * @example
 * const machine = describeMachine('/work/main');
 */
export function describeMachine(botDir: string): TMachine {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    ramGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    loadAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    botDir,
    botCommit: commitOf(botDir),
  };
}

function commitOf(dir: string): string {
  try {
    const commit = execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const status = execFileSync('git', ['-C', dir, 'status', '--porcelain', '--', 'src', 'prisma'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return status ? `${commit} + uncommitted changes in src/ or prisma/` : commit;
  } catch {
    return 'not a git checkout';
  }
}
