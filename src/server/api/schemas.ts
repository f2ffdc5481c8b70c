import { z } from '@hono/zod-openapi';
import type { JSONValue } from 'hono/utils/types';

/** The error every refusal answers with. */
export const ZApiError = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  })
  .openapi('Error');

/** Any JSON object the route returns (documented by its description). */
export const ZJsonObject = z.record(z.string(), z.unknown()).openapi('Object');

export const ZScriptId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a script id: lower-case letters, digits, - and _')
  .openapi({ param: { name: 'id', in: 'path' }, example: 'default' });
export const ZVersion = z.coerce
  .number()
  .int()
  .min(1)
  .max(999_999)
  .openapi({ param: { name: 'version', in: 'path' }, example: 3 });
export const ZNumericId = z.coerce
  .number()
  .int()
  .min(1)
  .max(2_147_483_647)
  .openapi({ param: { name: 'id', in: 'path' }, example: 12 });

/** Standard responses: a JSON object on success, the error shape on refusal. */
export function responses(success: 200 | 201, description: string) {
  const error = (text: string) => ({
    description: text,
    content: { 'application/json': { schema: ZApiError } },
  });
  return {
    [success]: { description, content: { 'application/json': { schema: ZJsonObject } } },
    400: error('The request is not valid: see details'),
    401: error('No token, or an unknown, revoked or expired one'),
    403: error("The token's role may not do this"),
    404: error('Nothing of that id'),
    409: error('Refused as things stand (e.g. a script with findings)'),
    429: error('Too many requests'),
  } as const;
}

/** Every route needs a bearer token. */
export const SECURITY = [{ bearer: [] }];

/** Any value as the JSON it is sent as (dates as ISO text, no undefined): what a route's `c.json` takes. */
export function asJson(value: unknown): Record<string, JSONValue> {
  return JSON.parse(JSON.stringify(value ?? {})) as Record<string, JSONValue>;
}
