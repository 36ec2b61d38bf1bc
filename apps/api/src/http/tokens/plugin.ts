import type { FastifyInstance } from 'fastify';
import { TokenCreate, TokenCreated, TokenInfo, TokenList, TokenListQuery } from '@archway/contract';
import { describeRoute, IdParams } from '../../infra/openapi/describe.ts';
import type { AppDeps } from '../../deps.ts';
import { createToken } from '../auth/index.ts';
import { UUID_RE } from '../builds/index.ts';
import { NotFoundError } from '../../infra/errors.ts';
import { keyset } from '../../infra/keyset.ts';
import type { ApiToken } from '../../generated/prisma/client.ts';

const tags = ['tokens'];
const schemas = {
  create: describeRoute({
    tags,
    summary: 'Create an API token (admin)',
    body: TokenCreate,
    answers: { 201: TokenCreated.describe('Created; `token` is shown in this answer only') },
  }),
  list: describeRoute({
    tags,
    summary: "Every token, revoked ones too, newest first, in pages (`cursor`: the previous page's `nextCursor`) (admin)",
    query: TokenListQuery,
    answers: { 200: TokenList },
  }),
  revoke: describeRoute({ tags, summary: 'Revoke a token (admin); the row stays', params: IdParams, answers: { 200: TokenInfo } }),
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toInfo(row: ApiToken): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    imagePrefixes: row.imagePrefixes ?? [],
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: iso(row.lastUsedAt),
    revokedAt: iso(row.revokedAt),
  };
}

/**
 * API tokens (admin only): create (the text is in that answer only; the database keeps its
 * sha256), list, revoke. Revoking keeps the row so the list shows who had access until when.
 */
export async function tokensPlugin(app: FastifyInstance, { deps }: { deps: AppDeps }): Promise<void> {
  const admin = { config: { scope: 'admin' as const } };

  app.post('/tokens', { ...admin, schema: schemas.create }, async (request, reply) => {
    const input = TokenCreate.parse(request.body);
    const scopes = [...new Set(input.scopes)];
    const { id, token } = await createToken(deps.prisma, input.name, scopes, undefined, [...new Set(input.imagePrefixes ?? [])]);
    const row = await deps.prisma.apiToken.findUniqueOrThrow({ where: { id } });
    return reply.code(201).send({ ...toInfo(row), token } satisfies TokenCreated);
  });

  // Tokens only ever accumulate (revoking keeps the row), so the list is keyset-paginated on the
  // (createdAt DESC, id) index like the builds: a page costs the same however many there are.
  app.get('/tokens', { ...admin, schema: schemas.list }, async (request): Promise<TokenList> => {
    const q = TokenListQuery.parse(request.query);
    const k = keyset(q.cursor, q.limit);
    const rows = await deps.prisma.apiToken.findMany({ where: k.after, orderBy: k.orderBy, take: k.take });
    const { rows: page, nextCursor } = k.page(rows);
    return { items: page.map(toInfo), nextCursor };
  });

  app.delete<{ Params: { id: string } }>('/tokens/:id', { ...admin, schema: schemas.revoke }, async (request) => {
    const id = request.params.id;
    const row = UUID_RE.test(id) ? await deps.prisma.apiToken.findUnique({ where: { id } }) : null;
    if (!row) throw new NotFoundError(`token ${id} not found`, 'id');
    const revoked = await deps.prisma.apiToken.update({ where: { id }, data: { revokedAt: row.revokedAt ?? new Date() } });
    return toInfo(revoked);
  });
}
