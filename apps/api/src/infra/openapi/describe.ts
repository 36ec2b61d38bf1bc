import type { FastifySchema } from 'fastify';
import { z } from 'zod';
import { ApiError } from '@archway/contract';

/**
 * Route documentation for the OpenAPI document, written next to each route as its Fastify
 * `schema`. Request parts are the zod schemas the handler parses with (converted with zod's own
 * `z.toJSONSchema`, input side); answers are the contract's shapes (output side). Fastify does not
 * validate or serialize with these schemas (see http/openapi/plugin.ts): the handlers' zod parse stays
 * the one validation, with its error messages.
 */
export type JsonSchema = Record<string, unknown>;

export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  // `unrepresentable: 'any'`: a transform (PlatformString) documents its input type and no more.
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });
  return rest;
}

/** A non-JSON answer: its media type and, optionally, what it looks like. */
export interface MediaAnswer {
  type: string;
  description: string;
  schema?: JsonSchema;
}

/** An answer: a JSON body (a zod schema), a non-JSON body, or `null` for no body (204). */
export type Answer = z.ZodType | MediaAnswer | null;

export interface RouteDoc {
  tags: string[];
  summary: string;
  description?: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  body?: z.ZodType;
  /** The body may be left out (an empty POST means all defaults). */
  bodyOptional?: boolean;
  /** Media types of the body; default application/json. */
  consumes?: string[];
  /** 2xx answers by status, and any error status with its own shape (e.g. /readyz's 503). */
  answers: Record<number, Answer>;
  /** No credential needed (probes, webhooks, the reference, signing in). Default: a bearer token. */
  public?: boolean;
  /** A route kept only to tell old clients where to go (it answers 410, so it documents no 2xx). */
  deprecated?: boolean;
}

/** An operation extension (copied into the document by @fastify/swagger) that http/openapi/plugin.ts turns into `required: false`. */
export const OPTIONAL_BODY = 'x-archway-optional-body';

const ERROR_NOTE = 'An ApiError: `error` is a code, `message` says what to do, `field` names the offending input.';

function answer(status: number, a: Answer): JsonSchema {
  if (a === null) return { type: 'null', description: 'No content' };
  if (a instanceof z.ZodType) return { ...jsonSchema(a, 'output'), description: a.description ?? `${status} answer` };
  return { description: a.description, content: { [a.type]: { schema: a.schema ?? { type: 'string' } } } };
}

/** The Fastify route schema that @fastify/swagger turns into one operation of the document. */
export function describeRoute(doc: RouteDoc): FastifySchema {
  const response: Record<string, JsonSchema> = {};
  for (const [status, a] of Object.entries(doc.answers)) response[status] = answer(Number(status), a);
  // Every route can refuse (4xx) or fail (5xx) with the one error shape (infra/errors.ts).
  response['4xx'] ??= { ...jsonSchema(ApiError, 'output'), description: ERROR_NOTE };
  response['5xx'] ??= { ...jsonSchema(ApiError, 'output'), description: ERROR_NOTE };
  return {
    tags: doc.tags,
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    ...(doc.params ? { params: jsonSchema(doc.params, 'input') } : {}),
    ...(doc.query ? { querystring: jsonSchema(doc.query, 'input') } : {}),
    ...(doc.headers ? { headers: jsonSchema(doc.headers, 'input') } : {}),
    ...(doc.body ? { body: jsonSchema(doc.body, 'input') } : {}),
    ...(doc.bodyOptional ? { [OPTIONAL_BODY]: true } : {}),
    ...(doc.consumes ? { consumes: doc.consumes } : {}),
    ...(doc.public ? { security: [] } : {}),
    ...(doc.deprecated ? { deprecated: true } : {}),
    response,
  } as FastifySchema;
}

/** `:id` of a build, repository or token. */
export const IdParams = z.object({ id: z.string().describe('The id (a UUID)') });
