import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SessionSignIn, SessionState } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import type { AuthThrottle } from '../auth/index.ts';
import { lookupToken } from '../auth/index.ts';
import { ForbiddenError, UnauthorizedError } from '../../infra/errors.ts';
import { clearedCookie, sessionCookie } from './cookies.ts';
import { assertSameOrigin, cookieName, CSRF_HEADER, isSecureRequest, sessionIdentity, sessionIdOf } from './session-auth.ts';
import { csrfMatches, type SessionRecord, type SessionStore } from './session-store.ts';
import { describeRoute } from '../../infra/openapi/describe.ts';

const tags = ['session'];
const schemas = {
  signIn: describeRoute({
    tags,
    summary: 'Sign the dashboard in: trade an API token for a session cookie',
    description: 'Same-origin only. Sets the httpOnly session cookie; the answer carries the CSRF token that writes must send as X-CSRF-Token.',
    public: true,
    body: SessionSignIn,
    answers: { 201: SessionState.describe('Signed in') },
  }),
  show: describeRoute({ tags, summary: 'Whether this browser is signed in (200 either way)', public: true, answers: { 200: SessionState } }),
  signOut: describeRoute({ tags, summary: 'Sign out (needs X-CSRF-Token when signed in)', public: true, answers: { 204: null } }),
};

interface Deps {
  prisma: PrismaClient;
  store: SessionStore;
  publicUrl: string;
  throttle: AuthThrottle;
}

/** What the SPA learns about its session: never the cookie, which stays httpOnly. */
const view = (r: SessionRecord) => ({ name: r.name, csrfToken: r.csrfToken, expiresAt: r.expiresAt });

/**
 * `POST /api/v1/session` trades an API token for a session cookie, `GET` tells the SPA whether it
 * is signed in (and its CSRF token after a reload), `DELETE` signs out. These routes sit outside
 * the /api/v1 Bearer hook: they are how a browser gets its credential in the first place.
 */
export async function sessionRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  app.post('/api/v1/session', { schema: schemas.signIn }, async (request, reply) => {
    assertSameOrigin(request, deps.publicUrl);
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
      return reply.code(415).send({ error: 'unsupported_media_type', message: 'send the token as application/json: {"token": "…"}' });
    }
    const { token } = SessionSignIn.parse(request.body ?? {});
    await deps.throttle.check(request);
    const identity = await lookupToken(deps.prisma, token);
    if (!identity) {
      await deps.throttle.fail(request);
      throw new UnauthorizedError('invalid or revoked API token');
    }
    const old = sessionIdOf(request);
    if (old) await deps.store.delete(old);
    const { id, record } = await deps.store.create(identity);
    const secure = isSecureRequest(request, deps.publicUrl);
    const ttl = Math.round((Date.parse(record.expiresAt) - Date.now()) / 1000);
    reply.header('set-cookie', sessionCookie(cookieName(secure), id, { maxAgeSeconds: ttl, secure }));
    reply.header('cache-control', 'no-store');
    return reply.code(201).send({ signedIn: true, ...view(record) });
  });

  // 200 either way: "not signed in" is an answer, not an error (and keeps the browser console clean).
  app.get('/api/v1/session', { schema: schemas.show }, async (request, reply) => {
    const current = await currentSession(request);
    reply.header('cache-control', 'no-store');
    return current ? { signedIn: true, ...view(current.record) } : { signedIn: false };
  });

  app.delete('/api/v1/session', { schema: schemas.signOut }, async (request, reply) => {
    const id = sessionIdOf(request);
    const record = id ? await deps.store.get(id) : null;
    if (id && record) {
      assertSameOrigin(request, deps.publicUrl);
      const presented = request.headers[CSRF_HEADER];
      if (!csrfMatches(typeof presented === 'string' ? presented : undefined, record.csrfToken)) {
        throw new ForbiddenError('missing or wrong X-CSRF-Token header: reload the dashboard and try again');
      }
      await deps.store.delete(id);
    }
    const secure = isSecureRequest(request, deps.publicUrl);
    reply.header('set-cookie', clearedCookie(cookieName(secure), secure));
    return reply.code(204).send();
  });

  async function currentSession(request: FastifyRequest) {
    const id = sessionIdOf(request);
    const record = id ? await deps.store.get(id) : null;
    if (!id || !record) return null;
    const identity = await sessionIdentity(deps.prisma, deps.store, id, record);
    return identity ? { id, record } : null;
  }
}
