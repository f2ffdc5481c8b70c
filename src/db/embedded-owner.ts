import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DatabaseError } from './errors.ts';

/**
 * PGlite allows one process per data folder. The process that opens the folder records itself in an owner
 * file inside it; when it serves the folder to other processes it does so on a unix socket beside that file,
 * named as PostgreSQL names its sockets, so `pg` reaches it with `host=<folder>`.
 */
const OWNER_FILE = 'bridgeline-owner.lock';
export const SOCKET_FILE = '.s.PGSQL.5432';

// sockaddr_un.sun_path is 108 bytes on Linux, including the terminating NUL.
const MAX_SOCKET_PATH = 107;

type TOwnerRecord = { pid: number; startedAt?: string; socket: boolean };

/** A live process holding a data folder; `socketPath` is set when it shares the folder there. */
export type THolder = { state: 'held'; pid: number; socketPath: string | undefined };

/** Who holds a data folder right now. */
export type TFolderState = { state: 'free' } | THolder;

/** This process's hold on a data folder; release it once PGlite is closed. */
export type TOwnership = {
  dataDir: string;
  socketPath: string;
  /** Records that the socket accepts connections, so other processes connect instead of failing. */
  publishSocket(): Promise<void>;
  /** Records that the socket is going away; call before stopping the socket server. */
  withdrawSocket(): Promise<void>;
  release(): Promise<void>;
};

export type TClaim =
  | { claimed: true; ownership: TOwnership; stalePid: number | undefined }
  | { claimed: false; holder: THolder };

/** The unix socket path of an embedded database folder. */
export function socketPathOf(dataDir: string): string {
  return join(dataDir, SOCKET_FILE);
}

/**
 * Takes ownership of `dataDir` (creating it) unless a live process holds it. An owner file whose process is
 * gone, or whose pid now belongs to another process, is stale and replaced, with any socket file left over.
 */
export async function claimDataDir(dataDir: string): Promise<TClaim> {
  const socketPath = socketPathOf(dataDir);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    throw new DatabaseError(
      'DATABASE_SOCKET_PATH_TOO_LONG',
      `The embedded database folder path is too long to hold its unix socket (${socketPath} exceeds ${MAX_SOCKET_PATH} bytes); choose a shorter DATABASE_URL folder.`,
    );
  }
  await mkdir(dataDir, { recursive: true });
  const ownerPath = join(dataDir, OWNER_FILE);
  const record: TOwnerRecord = { pid: process.pid, startedAt: processStartTime(process.pid), socket: false };

  let stalePid: number | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createExclusive(ownerPath, record)) {
      await rm(socketPath, { force: true });
      return { claimed: true, ownership: createOwnership(dataDir, ownerPath, socketPath, record), stalePid };
    }
    const raw = await readFile(ownerPath, 'utf8').catch(() => undefined);
    const holder = await inspectRecord(raw, socketPath);
    if (holder.state === 'held') return { claimed: false, holder };
    // Stale: remove it only if nobody replaced it meanwhile, then try again.
    const current = await readFile(ownerPath, 'utf8').catch(() => undefined);
    if (current === raw && raw !== undefined) {
      stalePid = parseRecord(raw)?.pid;
      await rm(ownerPath, { force: true });
    }
  }
  throw new Error(`Could not take ownership of ${dataDir}: its owner file keeps changing.`);
}

/** Reports who holds `dataDir`, without changing anything. */
export async function inspectDataDir(dataDir: string): Promise<TFolderState> {
  const raw = await readFile(join(dataDir, OWNER_FILE), 'utf8').catch(() => undefined);
  return inspectRecord(raw, socketPathOf(dataDir));
}

async function inspectRecord(raw: string | undefined, socketPath: string): Promise<TFolderState> {
  if (raw === undefined) return { state: 'free' };
  const record = parseRecord(raw);
  // Records are written atomically (link/rename), so an unreadable one was not written by a live owner.
  if (record === undefined || !isAlive(record.pid)) return { state: 'free' };
  const startedAt = processStartTime(record.pid);
  if (record.startedAt !== undefined && startedAt !== undefined && startedAt !== record.startedAt) {
    return { state: 'free' };
  }
  const serving = record.socket && (await acceptsConnections(socketPath));
  return { state: 'held', pid: record.pid, socketPath: serving ? socketPath : undefined };
}

function createOwnership(
  dataDir: string,
  ownerPath: string,
  socketPath: string,
  record: TOwnerRecord,
): TOwnership {
  let released = false;
  const update = async (socket: boolean) => {
    if (released) return;
    const temporary = `${ownerPath}.${randomBytes(6).toString('hex')}`;
    await writeFile(temporary, JSON.stringify({ ...record, socket }));
    await rename(temporary, ownerPath);
  };
  return {
    dataDir,
    socketPath,
    publishSocket: () => update(true),
    withdrawSocket: () => update(false),
    async release() {
      if (released) return;
      released = true;
      await rm(socketPath, { force: true });
      await rm(ownerPath, { force: true });
    },
  };
}

/** Creates `path` with `record` as its content atomically: readers never see it half written. */
async function createExclusive(path: string, record: TOwnerRecord): Promise<boolean> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}`;
  await writeFile(temporary, JSON.stringify(record));
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

function parseRecord(raw: string): TOwnerRecord | undefined {
  try {
    const value = JSON.parse(raw) as Partial<TOwnerRecord>;
    if (typeof value.pid !== 'number' || !Number.isInteger(value.pid) || value.pid <= 0) return undefined;
    return {
      pid: value.pid,
      startedAt: typeof value.startedAt === 'string' ? value.startedAt : undefined,
      socket: value.socket === true,
    };
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The kernel's start time of a process (Linux), which tells a reused pid from the original owner. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); fields are counted after the parenthesised command name, which may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function acceptsConnections(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
