import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { documentedPath, DOCUMENTED_PATH } from '../http/openapi/plugin.ts';

/**
 * Tests hold the OpenAPI document to what the API really answers: every answer of a documented
 * route is checked against the document's response for its route and status (JSON bodies against
 * the schema, other bodies by media type). Mismatches are collected (and printed at once); the
 * fixture's close() fails the test file with all of them.
 */
type Doc = { paths: Record<string, Record<string, { responses?: Record<string, Response> }>> };
type Response = { content?: Record<string, { schema?: object }> };

export class ResponseChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly doc: Doc) {}

  /** What is wrong with this answer, or undefined when the document describes it. */
  check(method: string, url: string, status: number, contentType: string | undefined, body: string): string | undefined {
    const where = `${method} ${url} ${status}`;
    const operation = this.doc.paths[documentedPath(url)]?.[method.toLowerCase()];
    if (!operation) return `${where}: the route is not in the document`;
    const responses = operation.responses ?? {};
    const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => responses[k]);
    if (!key) return `${where}: the document lists no answer for status ${status} (it has ${Object.keys(responses).join(', ')})`;
    const content = responses[key]!.content;
    if (!content) return body === '' ? undefined : `${where}: the document says no body, the answer has one: ${body.slice(0, 200)}`;
    const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    const entry = content[media];
    if (!entry) return `${where}: answered ${media || 'no content type'}, the document says ${Object.keys(content).join(' or ')}`;
    if (media !== 'application/json' || !entry.schema) return undefined;
    const id = `${method} ${url} ${key}`;
    let validate = this.compiled.get(id);
    if (!validate) {
      validate = this.ajv.compile(entry.schema);
      this.compiled.set(id, validate);
    }
    let data: unknown;
    try {
      data = JSON.parse(body);
    } catch {
      return `${where}: the body is not JSON: ${body.slice(0, 200)}`;
    }
    if (validate(data)) return undefined;
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
    return `${where}: the body does not match the document's ${key} schema: ${errors.join('; ')}\n  body: ${body.slice(0, 500)}`;
  }
}

/** Adds the check to every answer of `app` (call before any route is registered: buildApp's `setup`). */
export function checkResponses(app: FastifyInstance, mismatches: string[]): void {
  let checker: ResponseChecker | undefined;
  app.addHook('onSend', async (request, reply, payload) => {
    const url = request.routeOptions.url;
    // The dashboard's files, the docs page's assets and 404s of unknown paths are not API answers.
    if (!url || !DOCUMENTED_PATH.test(url) || url.startsWith('/api/v1/docs') || request.method === 'HEAD') return payload;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload) && payload !== null && payload !== undefined) {
      // A stream (logs, archives): only the media type can be checked.
      checker ??= new ResponseChecker(app.swagger() as unknown as Doc);
      const problem = checker.check(request.method, url, reply.statusCode, String(reply.getHeader('content-type') ?? ''), '');
      if (problem && !problem.includes('says no body')) report(problem);
      return payload;
    }
    checker ??= new ResponseChecker(app.swagger() as unknown as Doc);
    const body = payload === null || payload === undefined ? '' : payload.toString();
    const problem = checker.check(request.method, url, reply.statusCode, reply.getHeader('content-type') as string | undefined, body);
    if (problem) report(problem);
    return payload;
  });

  function report(problem: string) {
    mismatches.push(problem);
    console.error(`OpenAPI mismatch: ${problem}`);
  }
}
