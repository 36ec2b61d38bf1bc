import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HookResponse } from '@archway/contract';
import { z } from 'zod';
import { describeRoute } from '../../infra/openapi/describe.ts';
import type { AppDeps } from '../../deps.ts';
import { BadRequestError, HttpError, NotFoundError, UnauthorizedError } from '../../infra/errors.ts';
import type { Repo as RepoRow } from '../../generated/prisma/client.ts';
import { SecretBoxError, type SecretBox } from '../../infra/secrets/secret-box.ts';
import { triggerRepoBuild } from '../repos/index.ts';
import { claimDelivery, finishDelivery } from './deliveries.ts';
import { parseForgejoEvent, parseGithubEvent, payloadRepoName, type HookEvent } from './events.ts';
import { verifyForgejoSignature, verifyGithubSignature } from './signature.ts';

export const DEFAULT_HOOK_BODY_LIMIT = 5 * 1024 * 1024;

interface Source {
  name: 'github' | 'forgejo';
  providers: string[];
  event(request: FastifyRequest): string | undefined;
  delivery(request: FastifyRequest): string | undefined;
  signatureHeader: string;
  verify(secret: string, body: Buffer, request: FastifyRequest): boolean;
  parse(event: string, payload: unknown): HookEvent;
}

const header = (request: FastifyRequest, ...names: string[]): string | undefined => {
  for (const n of names) {
    const v = request.headers[n];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
};

/** What the document says of each endpoint; the handler reads these headers itself (see SOURCES). */
const HOOK_DOCS: Record<Source['name'], { summary: string; headers: z.ZodObject }> = {
  github: {
    summary: 'GitHub webhook (push, pull_request, ping)',
    headers: z.object({
      'x-github-event': z.string(),
      'x-github-delivery': z.string(),
      'x-hub-signature-256': z.string().describe('sha256=<HMAC of the body with the webhook secret>'),
    }),
  },
  forgejo: {
    summary: 'Forgejo or Gitea webhook (push, pull_request); Gitea\'s X-Gitea-* headers are read when X-Forgejo-* are absent',
    headers: z.object({
      'x-forgejo-event': z.string(),
      'x-forgejo-delivery': z.string(),
      'x-forgejo-signature': z.string().describe('HMAC-SHA256 of the body with the webhook secret, in hex'),
    }),
  },
};

function hookSchema(name: Source['name']) {
  return describeRoute({
    tags: ['hooks'],
    summary: HOOK_DOCS[name].summary,
    description: 'The forge\'s JSON payload, signed with the repository\'s webhook secret. A repeated delivery id queues nothing new.',
    public: true,
    headers: HOOK_DOCS[name].headers,
    body: z.object({ repository: z.object({ full_name: z.string() }) }).describe('The forge\'s event payload'),
    answers: {
      200: HookResponse.describe('A ping, or a delivery already received (`duplicate`)'),
      202: HookResponse.describe('Accepted: a build was queued (`build`) or the event was ignored (`ignored` says why)'),
    },
  });
}

const SOURCES: Source[] = [
  {
    name: 'github',
    providers: ['github'],
    event: (r) => header(r, 'x-github-event'),
    delivery: (r) => header(r, 'x-github-delivery'),
    signatureHeader: 'X-Hub-Signature-256',
    verify: (secret, body, r) => verifyGithubSignature(secret, body, header(r, 'x-hub-signature-256')),
    parse: parseGithubEvent,
  },
  {
    // Forgejo sends both its own and Gitea's headers; Gitea only its own. A bad X-Forgejo-Signature
    // is not rescued by X-Gitea-Signature.
    name: 'forgejo',
    providers: ['forgejo', 'gitea'],
    event: (r) => header(r, 'x-forgejo-event', 'x-gitea-event'),
    delivery: (r) => header(r, 'x-forgejo-delivery', 'x-gitea-delivery'),
    signatureHeader: 'X-Forgejo-Signature (or X-Gitea-Signature)',
    verify: (secret, body, r) => verifyForgejoSignature(secret, body, header(r, 'x-forgejo-signature', 'x-gitea-signature')),
    parse: parseForgejoEvent,
  },
];

/**
 * Forge webhooks under /hooks: the body is kept as raw bytes (the HMAC covers exactly them), then
 * parsed here. Nothing is stored for a delivery whose signature does not verify.
 */
export async function hooksPlugin(app: FastifyInstance, { deps, secretBox }: { deps: AppDeps; secretBox: SecretBox }): Promise<void> {
  const bodyLimit = deps.hookBodyLimit ?? DEFAULT_HOOK_BODY_LIMIT;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

  for (const source of SOURCES) {
    app.post(`/${source.name}`, { bodyLimit, schema: hookSchema(source.name) }, async (request, reply) => {
      const { status, body } = await handle(source, request);
      return reply.code(status).send(body);
    });
  }

  async function handle(source: Source, request: FastifyRequest): Promise<{ status: number; body: HookResponse }> {
    const payload = parseBody(request);
    const event = source.event(request);
    if (!event) throw new BadRequestError(`the ${source.name === 'github' ? 'X-GitHub-Event' : 'X-Forgejo-Event (or X-Gitea-Event)'} header is missing`, 'event');
    const deliveryId = source.delivery(request);
    if (!deliveryId) throw new BadRequestError(`the ${source.name === 'github' ? 'X-GitHub-Delivery' : 'X-Forgejo-Delivery (or X-Gitea-Delivery)'} header is missing`, 'delivery');
    const fullName = payloadRepoName(payload);
    if (!fullName) throw new BadRequestError('the payload names no repository (repository.full_name): add the webhook to a repository, not an organization', 'repository.full_name');

    const repo = await deps.prisma.repo.findFirst({ where: { provider: { in: source.providers }, fullName: { equals: fullName, mode: 'insensitive' } } });
    if (!repo) {
      throw new NotFoundError(
        `repository ${fullName} is not registered for ${source.name} webhooks: register it with POST /api/v1/repos (provider ${source.providers.join(' or ')})`,
        'repository.full_name',
      );
    }
    let secret: string;
    try {
      secret = secretBox.open(repo.webhookSecret, 'webhook-secret');
    } catch (err) {
      if (err instanceof SecretBoxError) throw new HttpError(500, 'secret_key_mismatch', `${err.message}: ${repo.fullName}'s webhook secret`);
      throw err;
    }
    if (!source.verify(secret, request.body as Buffer, request)) {
      throw new UnauthorizedError(`the ${source.signatureHeader} signature is missing or wrong: set the webhook's secret to the one Archway gave for ${repo.fullName}`);
    }

    const action = typeof (payload as { action?: unknown }).action === 'string' ? (payload as { action: string }).action : null;
    const claim = await claimDelivery(deps.prisma, { source: source.name, deliveryId, event, action, repoId: repo.id });
    if (!claim.fresh) {
      const r = claim.row;
      return {
        status: 200,
        body: {
          delivery: deliveryId,
          result: r.result,
          duplicate: true,
          message: `delivery ${deliveryId} was already received; nothing new was queued`,
          ...(r.buildId ? { build: buildRef(r.buildId) } : {}),
        },
      };
    }
    return act(repo, claim.row.id, deliveryId, source.parse(event, payload));
  }

  async function act(repo: RepoRow, rowId: string, deliveryId: string, ev: HookEvent): Promise<{ status: number; body: HookResponse }> {
    if (ev.type === 'ping') {
      await finishDelivery(deps.prisma, rowId, 'ping', `webhook of ${repo.fullName} reached Archway`);
      return { status: 200, body: { delivery: deliveryId, result: 'ping', message: `pong: ${repo.fullName} is registered` } };
    }
    if (ev.type === 'ignored') {
      await finishDelivery(deps.prisma, rowId, 'ignored', ev.reason);
      return { status: 202, body: { delivery: deliveryId, result: 'ignored', ignored: ev.reason } };
    }
    try {
      const { build, canceled } = await triggerRepoBuild(deps, repo, ev.trigger, 'webhook');
      const note = build.status === 'failed' ? `build failed before it started: ${build.error}` : `build queued${canceled.length ? `; canceled superseded ${canceled.join(', ')}` : ''}`;
      await finishDelivery(deps.prisma, rowId, 'queued', note, build.id);
      return { status: 202, body: { delivery: deliveryId, result: 'queued', build: buildRef(build.id), message: note } };
    } catch (err) {
      // Nothing was queued: a repeat of this delivery may try again.
      const message = err instanceof HttpError ? err.message : `internal error: ${(err as Error).message}`;
      await finishDelivery(deps.prisma, rowId, 'error', message).catch(() => {});
      throw err;
    }
  }

  function buildRef(id: string) {
    return { id, url: `${deps.publicUrl}/builds/${id}` };
  }
}

function parseBody(request: FastifyRequest): unknown {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new BadRequestError(
      `content type "${type || 'none'}" is not supported: set the webhook's content type to application/json`,
      'content-type',
    );
  }
  const raw = request.body;
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw new BadRequestError('the body is empty: expected the JSON payload', 'body');
  let payload: unknown;
  try {
    payload = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new BadRequestError(`malformed JSON body: ${(err as Error).message}`, 'body');
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new BadRequestError('the JSON body must be an object', 'body');
  return payload;
}
