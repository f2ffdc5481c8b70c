import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian puts its Chromium. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Debian's Chromium for the browser tests: there already, or installed with apt-get when this runs as root
 * (as CI does; the package lists are refreshed once if the first try fails). Undefined when none can be had —
 * the caller skips, and says so loudly.
 */
export async function ensureChromium(): Promise<string | undefined> {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get'))
    return undefined;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { env });
  try {
    await install();
  } catch {
    try {
      await run('apt-get', ['update'], { env });
      await install();
    } catch (error) {
      process.stderr.write(`apt-get could not install chromium: ${String(error).slice(0, 500)}\n`);
    }
  }
  return existsSync(CHROMIUM_PATH) ? CHROMIUM_PATH : undefined;
}

/** How the browser tests launch it: headless, no sandbox (root in a container), no calls home. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'];
