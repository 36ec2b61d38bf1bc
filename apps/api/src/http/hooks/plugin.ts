import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HookResponse } from '@archway/contract';
import { z } from 'zod';
import { describeRoute } from '../../infra/openapi/describe.ts';
import type { AppDeps } from '../../deps.ts';
import { BadRequestError, HttpError, UnauthorizedError } from '../../infra/errors.ts';
import type { Repo as RepoRow } from '../../generated/prisma/client.ts';
import type { SecretBox } from '../../infra/secrets/secret-box.ts';
import { formatDuration } from '@archway/contract';
import { throttleFor } from '../auth/index.ts';
import { acceptRepoBuild, triggerRef } from '../repos/index.ts';
import { claimDelivery, finishDelivery } from './deliveries.ts';
import { countDelivery } from './count-delivery.ts';
import { parseForgejoEvent, parseGithubEvent, parseGitlabEvent, payloadRepoName, type HookEvent } from './events.ts';
import { ReplayGuard } from './replay.ts';
import { verifyForgejoSignature, verifyGithubSignature, verifyGitlabToken } from './signature.ts';
import { verifiedRepo } from './verify.ts';

export const DEFAULT_HOOK_BODY_LIMIT = 5 * 1024 * 1024;

interface Source {
  name: 'github' | 'forgejo' | 'gitlab';
  providers: string[];
  /** Named in the 400 when the event or delivery header is missing. */
  eventHeader: string;
  deliveryHeader: string;
  event(request: FastifyRequest): string | undefined;
  delivery(request: FastifyRequest): string | undefined;
  signatureHeader: string;
  /** The presented signature, if any (checked before the body is read). */
  signature(request: FastifyRequest): string | undefined;
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
    summary: "Forgejo or Gitea webhook (push, pull_request); Gitea's X-Gitea-* headers are read when X-Forgejo-* are absent",
    headers: z.object({
      'x-forgejo-event': z.string(),
      'x-forgejo-delivery': z.string(),
      'x-forgejo-signature': z.string().describe('HMAC-SHA256 of the body with the webhook secret, in hex'),
    }),
  },
  gitlab: {
    summary: 'GitLab webhook (Push Hook, Tag Push Hook, Merge Request Hook)',
    headers: z.object({
      'x-gitlab-event': z.string(),
      'x-gitlab-event-uuid': z.string().describe('The delivery id (Idempotency-Key is preferred when GitLab sends it: it stays the same across retries)'),
      'x-gitlab-token': z.string().describe('The webhook secret itself, as GitLab\'s "Secret token" field sends it'),
    }),
  },
};

function hookSchema(name: Source['name']) {
  return describeRoute({
    tags: ['hooks'],
    summary: HOOK_DOCS[name].summary,
    description:
      "The forge's JSON payload, signed with the webhook secret of the repository the URL names (its `webhookUrl`). An unknown repository and a wrong signature get the same 401. A repeated delivery id, or the same push content within ARCHWAY_HOOK_REPLAY_WINDOW, queues nothing new.",
    public: true,
    params: z.object({ repoId: z.string().describe('The repository id (its webhookUrl names it)') }),
    headers: HOOK_DOCS[name].headers,
    body: z.object({ repository: z.object({ full_name: z.string() }) }).describe("The forge's event payload"),
    answers: {
      200: HookResponse.describe('A ping, or a delivery already received (`duplicate`)'),
      202: HookResponse.describe('Accepted: a build was queued (`build`) or the event was ignored (`ignored` says why)'),
    },
  });
}

/** The URL without a repository id, from before webhook URLs carried one. */
function movedSchema(name: Source['name']) {
  return describeRoute({
    tags: ['hooks'],
    summary: `Old ${name} webhook URL: answers 410 naming the repository's webhookUrl`,
    public: true,
    deprecated: true,
    answers: {},
  });
}

const SOURCES: Source[] = [
  {
    name: 'github',
    providers: ['github'],
    eventHeader: 'X-GitHub-Event',
    deliveryHeader: 'X-GitHub-Delivery',
    event: (r) => header(r, 'x-github-event'),
    delivery: (r) => header(r, 'x-github-delivery'),
    signatureHeader: 'X-Hub-Signature-256',
    signature: (r) => header(r, 'x-hub-signature-256'),
    verify: (secret, body, r) => verifyGithubSignature(secret, body, header(r, 'x-hub-signature-256')),
    parse: parseGithubEvent,
  },
  {
    // Forgejo sends both its own and Gitea's headers; Gitea only its own. A bad X-Forgejo-Signature
    // is not rescued by X-Gitea-Signature.
    name: 'forgejo',
    providers: ['forgejo', 'gitea'],
    eventHeader: 'X-Forgejo-Event (or X-Gitea-Event)',
    deliveryHeader: 'X-Forgejo-Delivery (or X-Gitea-Delivery)',
    event: (r) => header(r, 'x-forgejo-event', 'x-gitea-event'),
    delivery: (r) => header(r, 'x-forgejo-delivery', 'x-gitea-delivery'),
    signatureHeader: 'X-Forgejo-Signature (or X-Gitea-Signature)',
    signature: (r) => header(r, 'x-forgejo-signature', 'x-gitea-signature'),
    verify: (secret, body, r) => verifyForgejoSignature(secret, body, header(r, 'x-forgejo-signature', 'x-gitea-signature')),
    parse: parseForgejoEvent,
  },
  {
    // GitLab sends its secret token as is; Idempotency-Key (GitLab 17+) stays the same when it retries.
    name: 'gitlab',
    providers: ['gitlab'],
    eventHeader: 'X-Gitlab-Event',
    deliveryHeader: 'X-Gitlab-Event-UUID',
    event: (r) => header(r, 'x-gitlab-event'),
    delivery: (r) => header(r, 'idempotency-key', 'x-gitlab-event-uuid'),
    signatureHeader: 'X-Gitlab-Token',
    signature: (r) => header(r, 'x-gitlab-token'),
    verify: (secret, _body, r) => verifyGitlabToken(secret, header(r, 'x-gitlab-token')),
    parse: parseGitlabEvent,
  },
];

/**
 * Forge webhooks under /hooks/<forge>/<repository id>. The order is the defence: a missing
 * signature header is refused before the body is read; the body is kept as raw bytes and its
 * HMAC checked against the secret of the repository the URL names before anything parses it;
 * an unknown repository and a wrong signature get the same 401. Only then is the JSON parsed and
 * the delivery stored. Failures count towards the client's authentication throttle.
 */
export async function hooksPlugin(app: FastifyInstance, { deps, secretBox }: { deps: AppDeps; secretBox: SecretBox }): Promise<void> {
  const bodyLimit = deps.hookBodyLimit ?? DEFAULT_HOOK_BODY_LIMIT;
  const throttle = throttleFor(deps);
  const replays = new ReplayGuard(deps.redis, deps.prefix, deps.hookReplayWindowMs);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

  for (const source of SOURCES) {
    const unverified = () =>
      new UnauthorizedError(
        `the ${source.signatureHeader} signature does not verify for this URL: use the repository's webhookUrl and the webhook secret Archway gave for it`,
      );

    // The URL without a repository id (before webhook URLs carried one): refused before the body is read.
    const moved = `webhook URLs name the repository: set this webhook's URL to the repository's webhookUrl (${deps.publicUrl}/hooks/${source.name}/<repository id>, shown by GET /api/v1/repos)`;
    const refuseMoved = async () => {
      throw new HttpError(410, 'gone', moved);
    };
    app.post(`/${source.name}`, { bodyLimit, onRequest: refuseMoved, schema: movedSchema(source.name) }, refuseMoved);

    app.post<{ Params: { repoId: string } }>(
      `/${source.name}/:repoId`,
      {
        bodyLimit,
        schema: hookSchema(source.name),
        onRequest: async (request) => {
          await throttle.check(request, hookScope(request));
          if (!source.signature(request)) {
            await throttle.fail(request, hookScope(request));
            throw unverified();
          }
        },
      },
      async (request, reply) => {
        const raw = request.body;
        const body = Buffer.isBuffer(raw) ? raw : Buffer.alloc(0);
        const repo = await verifiedRepo(deps.prisma, secretBox, source.providers, request.params.repoId, (secret) => source.verify(secret, body, request));
        if (!repo) {
          await throttle.fail(request, hookScope(request));
          throw unverified();
        }
        const { status, body: answer } = await countDelivery(deps.metrics, source.name, source.event(request), () => handle(source, repo, request));
        return reply.code(status).send(answer);
      },
    );
  }

  /**
   * Webhook failures count per address *and* URL: forges deliver from shared addresses (all of
   * GitHub's customers' hooks come from the same few), so anyone's misconfigured hook aimed at
   * one URL must not throttle every repository's deliveries, nor the API tokens used from there.
   */
  function hookScope(request: FastifyRequest): string {
    return `hook:${(request.params as { repoId?: string }).repoId ?? ''}`.slice(0, 100);
  }

  async function handle(source: Source, repo: RepoRow, request: FastifyRequest): Promise<{ status: number; body: HookResponse }> {
    const event = source.event(request);
    if (!event) throw new BadRequestError(`the ${source.eventHeader} header is missing`, 'event');
    const deliveryId = source.delivery(request);
    if (!deliveryId) throw new BadRequestError(`the ${source.deliveryHeader} header is missing`, 'delivery');
    const payload = parseBody(request);
    const fullName = payloadRepoName(payload);
    if (!fullName)
      throw new BadRequestError(
        'the payload names no repository (repository.full_name, or project.path_with_namespace for GitLab): add the webhook to a repository, not an organization',
        'repository.full_name',
      );
    if (fullName.toLowerCase() !== repo.fullName.toLowerCase()) {
      throw new BadRequestError(
        `the payload is about ${fullName} but this webhook URL is ${repo.fullName}'s: use ${fullName}'s own webhookUrl`,
        'repository.full_name',
      );
    }

    const action = payloadAction(payload);
    const ev = source.parse(event, payload);
    // Pings and ignored events are recorded with their result in the one INSERT (a storm of them costs one write each).
    const known =
      ev.type === 'ping'
        ? ({ result: 'ping', message: `webhook of ${repo.fullName} reached Archway` } as const)
        : ev.type === 'ignored'
          ? ({ result: 'ignored', message: ev.reason } as const)
          : undefined;
    const claim = await claimDelivery(deps.prisma, { source: source.name, deliveryId, event, action, repoId: repo.id }, known);
    if (!claim.fresh) {
      const r = claim.row;
      return {
        status: 200,
        body: {
          delivery: deliveryId,
          result: r.result as HookResponse['result'],
          duplicate: true,
          message: `delivery ${deliveryId} was already received; nothing new was queued`,
          ...(r.buildId ? { build: buildRef(r.buildId) } : {}),
        },
      };
    }
    return act(repo, claim.row.id, { source: source.name, event, deliveryId }, ev, claim.row.result !== 'processing');
  }

  async function act(
    repo: RepoRow,
    rowId: string,
    d: { source: string; event: string; deliveryId: string },
    ev: HookEvent,
    recorded: boolean,
  ): Promise<{ status: number; body: HookResponse }> {
    const { deliveryId } = d;
    if (ev.type === 'ping') {
      if (!recorded) await finishDelivery(deps.prisma, rowId, 'ping', `webhook of ${repo.fullName} reached Archway`);
      return { status: 200, body: { delivery: deliveryId, result: 'ping', message: `pong: ${repo.fullName} is registered` } };
    }
    if (ev.type === 'ignored') {
      if (!recorded) await finishDelivery(deps.prisma, rowId, 'ignored', ev.reason);
      return { status: 202, body: { delivery: deliveryId, result: 'ignored', ignored: ev.reason } };
    }
    const content = { source: d.source, event: d.event, trigger: ev.trigger, before: ev.before };
    let holder: string | null;
    try {
      holder = await replays.claim(repo.id, content, deliveryId);
    } catch (err) {
      await finishDelivery(deps.prisma, rowId, 'error', `internal error: ${(err as Error).message}`).catch(() => {});
      throw err;
    }
    if (holder !== null) {
      const reason = `duplicate of delivery ${holder}: the same ${d.event} of ${triggerRef(ev.trigger)} at ${ev.trigger.commit} arrived within ${formatDuration(replays.windowMs)}`;
      await finishDelivery(deps.prisma, rowId, 'ignored', reason);
      return { status: 202, body: { delivery: deliveryId, result: 'ignored', ignored: reason } };
    }
    try {
      // Recorded and queued for the resolver: no git in the forge's request (.archway.yaml, the
      // commit message, the changed files, the superseded builds and the commit status are the
      // resolver's; a skipped commit turns this delivery's result to `skipped` there).
      const build = await acceptRepoBuild(deps, repo, ev.trigger, 'webhook', undefined, { before: ev.before });
      const note = `build accepted: resolving ${triggerRef(ev.trigger)} at ${ev.trigger.commit}`;
      await finishDelivery(deps.prisma, rowId, 'queued', note, build.id);
      return { status: 202, body: { delivery: deliveryId, result: 'queued', build: buildRef(build.id), message: note } };
    } catch (err) {
      // Nothing was queued: a repeat of this delivery (or of its content) may try again.
      await replays.release(repo.id, content, deliveryId).catch(() => {});
      const message = err instanceof HttpError ? err.message : `internal error: ${(err as Error).message}`;
      await finishDelivery(deps.prisma, rowId, 'error', message).catch(() => {});
      throw err;
    }
  }

  function buildRef(id: string) {
    return { id, url: `${deps.publicUrl}/builds/${id}` };
  }
}

/** `action` (GitHub, Forgejo) or `object_attributes.action` (GitLab merge requests), for the delivery log. */
function payloadAction(payload: unknown): string | null {
  const p = payload as { action?: unknown; object_attributes?: { action?: unknown } };
  const action = p.action ?? p.object_attributes?.action;
  return typeof action === 'string' ? action : null;
}

function parseBody(request: FastifyRequest): unknown {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new BadRequestError(`content type "${type || 'none'}" is not supported: set the webhook's content type to application/json`, 'content-type');
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
