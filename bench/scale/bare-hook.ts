// bench/scale: the baseline webhook endpoint — a bare Fastify route that takes the raw body,
// checks the GitHub HMAC (X-Hub-Signature-256) in constant time and parses the JSON, nothing else.
// Env: BARE_SECRET. Prints its port on stdout.
import { createHmac, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';

const secret = process.env.BARE_SECRET ?? '';
const app = Fastify();
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.post('/hooks/github/:repoId', async (request, reply) => {
  const body = request.body as Buffer;
  const given = Buffer.from(String(request.headers['x-hub-signature-256'] ?? ''));
  const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  if (given.length !== want.length || !timingSafeEqual(given, want)) return reply.code(401).send({ error: 'unauthorized' });
  const payload = JSON.parse(body.toString('utf8')) as { ref?: string };
  return reply.code(202).send({ result: 'ignored', ignored: `${payload.ref} was deleted` });
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
