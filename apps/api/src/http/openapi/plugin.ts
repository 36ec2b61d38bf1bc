import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { describeRoute, OPTIONAL_BODY } from '../../infra/openapi/describe.ts';
import { PAGE_CSP } from '../../infra/csp.ts';

export const OPENAPI_PATH = '/api/v1/openapi.json';
export const DOCS_PREFIX = '/api/v1/docs';

/** The routes the document covers: the API, the webhooks, probes and metrics — not the dashboard's files. */
export const DOCUMENTED_PATH = /^\/(api\/v1|hooks|healthz|readyz|metrics)(\/|$)/;
/** The API package's version names the document's version. */
const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** A route's path as the document writes it: `:id` → `{id}`; the one wildcard (artifacts) is the platform. */
export function documentedPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\/\*$/, '/{platform}');
}

const isDocsPage = (url: string) => url === DOCS_PREFIX || url.startsWith(`${DOCS_PREFIX}/`);

const BEARER_NOTE =
  'An API token: `Authorization: Bearer <token>`. The dashboard uses a session cookie instead (POST /api/v1/session), ' +
  'which every /api/v1 route and /metrics also accept; writes with it need the X-CSRF-Token header.';

/**
 * The generated API reference: @fastify/swagger collects every route's `schema` (written with
 * describeRoute from the contract's zod schemas) into an OpenAPI 3.1 document, served at
 * /api/v1/openapi.json and browsable at /api/v1/docs. Public: it describes the API, holds no data.
 *
 * Registered before any route (its onRoute hook records them) and in the root context, because
 * the two compilers below must reach every route: the schemas are documentation only. Fastify
 * would otherwise validate requests with ajv first (coercing, filling defaults, stripping unknown
 * keys — `.strict()` would never see them) and serialize answers with fast-json-stringify; the
 * handlers' zod parse stays the one validation, with its own error messages.
 */
async function openapi(app: FastifyInstance): Promise<void> {
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Archway API',
        version: VERSION,
        description: 'Container image builds for many platforms. Concepts, the status machine and examples: docs/api.md.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: BEARER_NOTE } } },
      security: [{ bearerAuth: [] }],
      tags: [
        { name: 'builds', description: 'Create, list, show, rebuild and cancel builds; their logs and archives' },
        { name: 'repos', description: 'Registered forge repositories, their webhook deliveries and builds of a ref' },
        { name: 'hooks', description: "Forge webhooks (signed with the repository's webhook secret, not a token)" },
        { name: 'fleet', description: 'Agents and build queues' },
        { name: 'events', description: 'Live changes as Server-Sent Events' },
        { name: 'tokens', description: 'API tokens (admin)' },
        { name: 'session', description: "The dashboard's sign-in" },
        { name: 'operations', description: 'Probes, metrics and this reference' },
      ],
    },
    // Only API routes: the dashboard's files and the docs page's own assets are not part of the API.
    transform: ({ schema, url }) => ({
      schema: DOCUMENTED_PATH.test(url) && !isDocsPage(url) ? schema : { ...schema, hide: true },
      url: documentedPath(url),
    }),
    // @fastify/swagger marks every documented body required; describeRoute flags the optional ones.
    transformObject: (documentObject) => {
      const openapiObject = (documentObject as { openapiObject: { paths?: Record<string, object> } }).openapiObject;
      for (const ops of Object.values(openapiObject.paths ?? {})) {
        for (const op of Object.values(ops ?? {}) as Array<Record<string, unknown>>) {
          if (typeof op !== 'object' || !op || !(OPTIONAL_BODY in op)) continue;
          delete op[OPTIONAL_BODY];
          (op.requestBody as { required: boolean }).required = false;
        }
      }
      return openapiObject;
    },
  });

  app.get(
    OPENAPI_PATH,
    {
      schema: describeRoute({
        tags: ['operations'],
        summary: 'This OpenAPI 3.1 document',
        public: true,
        answers: { 200: { type: 'application/json', description: 'The OpenAPI document', schema: { type: 'object' } } },
      }),
    },
    async () => app.swagger(),
  );

  await app.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX, staticCSP: PAGE_CSP });
}

// What fastify-plugin does: run in the parent's context, so the compilers and hooks reach every route.
(openapi as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
export const openapiPlugin = openapi;
