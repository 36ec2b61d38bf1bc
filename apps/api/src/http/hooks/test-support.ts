import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { hmacHex } from './signature.ts';

interface ExampleGroup {
  name: string;
  examples: Record<string, any>[];
}

/** GitHub's published example payloads (@octokit/webhooks-examples), as GitHub sends them. */
const EXAMPLES = createRequire(import.meta.url)('@octokit/webhooks-examples/api.github.com/index.json') as ExampleGroup[];

export function githubExample(event: string, match: (e: Record<string, any>) => boolean = () => true): Record<string, any> {
  const found = EXAMPLES.find((g) => g.name === event)?.examples.find(match);
  if (!found) throw new Error(`no ${event} example matches`);
  return structuredClone(found);
}

/**
 * Points a real payload at a commit of our local repository: GitHub's examples name commits of
 * Codertocat/Hello-World, which a local git server does not have. Nothing else is changed.
 */
export function withCommit(payload: Record<string, any>, commit: string): Record<string, any> {
  if (payload.pull_request) payload.pull_request.head.sha = commit;
  else {
    payload.after = commit;
    if (payload.head_commit) payload.head_commit.id = commit;
  }
  return payload;
}

export interface SendOptions {
  /** The repository whose webhook URL (/hooks/<forge>/<id>) is called. */
  repoId: string;
  delivery?: string;
  secret: string;
  /** Override the signature header (wrong or missing). */
  signature?: string | null;
  contentType?: string;
  rawBody?: string | Buffer;
  /** The client address the request comes from (the authentication throttle counts per address). */
  remoteAddress?: string;
}

/** POSTs a payload to /hooks/github signed the way GitHub signs it (HMAC-SHA256 of the exact bytes). */
export function sendGithub(app: FastifyInstance, event: string, payload: unknown, opts: SendOptions) {
  const body = opts.rawBody ?? JSON.stringify(payload);
  const sig = opts.signature === undefined ? `sha256=${hmacHex(opts.secret, Buffer.from(body))}` : opts.signature;
  return app.inject({
    method: 'POST',
    url: `/hooks/github/${opts.repoId}`,
    ...(opts.remoteAddress ? { remoteAddress: opts.remoteAddress } : {}),
    headers: {
      'content-type': opts.contentType ?? 'application/json',
      'user-agent': 'GitHub-Hookshot/044aadd',
      'x-github-event': event,
      'x-github-delivery': opts.delivery ?? randomUUID(),
      'x-github-hook-id': '292430182',
      ...(sig !== null ? { 'x-hub-signature-256': sig } : {}),
    },
    payload: body,
  });
}

/**
 * POSTs to /hooks/forgejo with the headers Forgejo sends (its own, Gitea's, Gogs' and GitHub's
 * names; the signature as bare hex), or only Gitea's with `gitea: true`.
 */
export function sendForgejo(app: FastifyInstance, event: string, payload: unknown, opts: SendOptions & { eventType?: string; gitea?: boolean }) {
  const body = opts.rawBody ?? JSON.stringify(payload, null, 2);
  const delivery = opts.delivery ?? randomUUID();
  const sig = opts.signature === undefined ? hmacHex(opts.secret, Buffer.from(body)) : opts.signature;
  const type = opts.eventType ?? event;
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json', 'user-agent': 'Go-http-client/1.1' };
  const names = opts.gitea ? ['Gitea', 'Gogs'] : ['Forgejo', 'Gitea', 'Gogs'];
  for (const n of names) {
    headers[`x-${n.toLowerCase()}-delivery`] = delivery;
    headers[`x-${n.toLowerCase()}-event`] = event;
    headers[`x-${n.toLowerCase()}-event-type`] = type;
    if (sig !== null) headers[`x-${n.toLowerCase()}-signature`] = sig;
  }
  headers['x-github-delivery'] = delivery;
  headers['x-github-event'] = event;
  headers['x-github-event-type'] = type;
  if (sig !== null) headers['x-hub-signature-256'] = `sha256=${sig}`;
  return app.inject({
    method: 'POST',
    url: `/hooks/forgejo/${opts.repoId}`,
    headers,
    payload: body,
    ...(opts.remoteAddress ? { remoteAddress: opts.remoteAddress } : {}),
  });
}

/** POSTs to /hooks/gitlab with the headers GitLab sends: the secret token as is, the event name, a delivery UUID. */
export function sendGitlab(app: FastifyInstance, event: string, payload: unknown, opts: SendOptions & { idempotencyKey?: string }) {
  const body = opts.rawBody ?? JSON.stringify(payload);
  const token = opts.signature === undefined ? opts.secret : opts.signature;
  const headers: Record<string, string> = {
    'content-type': opts.contentType ?? 'application/json',
    'user-agent': 'GitLab/17.5.0',
    'x-gitlab-event': event,
    'x-gitlab-event-uuid': opts.delivery ?? randomUUID(),
    'x-gitlab-webhook-uuid': '2bd5a0c9-3a38-4d0a-8a53-2ef1e1a0c3b5',
    'x-gitlab-instance': 'https://gitlab.example.com',
    ...(opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}),
    ...(token !== null ? { 'x-gitlab-token': token } : {}),
  };
  return app.inject({
    method: 'POST',
    url: `/hooks/gitlab/${opts.repoId}`,
    headers,
    payload: body,
    ...(opts.remoteAddress ? { remoteAddress: opts.remoteAddress } : {}),
  });
}
