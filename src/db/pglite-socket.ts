import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export type TSocketServer = { stop(): Promise<void> };

/**
 * Serves the embedded database on a unix socket, so other processes reach it with `pg`
 * (`host=<socket folder>`). `socketView` is the session's view for socket clients (`createPgliteSession`),
 * which keeps their statements and transactions apart from this process's own.
 */
export async function serveOnSocket(
  socketView: PGlite,
  socketPath: string,
  options: { maxConnections?: number } = {},
): Promise<TSocketServer> {
  const server = new PGLiteSocketServer({
    db: socketView,
    path: socketPath,
    maxConnections: options.maxConnections ?? 32,
  });
  await server.start();
  return { stop: () => server.stop() };
}
