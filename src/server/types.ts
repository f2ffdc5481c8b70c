import type { Logger } from '../logger.ts';

/** Variables every route may read from the hono context. */
export type TServerEnv = { Variables: { logger: Logger } };
