import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppDeps } from '../../deps.ts';
import { createSecretBox } from '../../infra/secrets/secret-box.ts';
import { apiFixture } from '../../testing/fixture.ts';
import { startStatusReporter } from './reporter.ts';

interface Received {
  method: string;
  path: string;
  auth: string | undefined;
  body: Record<string, unknown>;
}

/**
 * A local stand-in for the forges' commit status API: records every request and answers with
 * what the test queued (`failNext`), else 201 like GitHub and Forgejo.
 */
export function statusServer() {
  const received: Received[] = [];
  const failNext: Array<{ status: number; body: unknown }> = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      received.push({ method: req.method!, path: req.url!, auth: req.headers.authorization, body: JSON.parse(data || '{}') });
      const answer = failNext.shift() ?? { status: 201, body: { id: received.length } };
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  return { server, received, failNext };
}

/**
 * An API fixture with a secret box, the statuses reporter running against the stand-in forge, and
 * the forge API URL to register repositories with (`apiUrl`). Close with close().
 */
export async function withStatusForge(overrides: Partial<AppDeps> = {}) {
  const forge = statusServer();
  await new Promise<void>((r) => forge.server.listen(0, '127.0.0.1', r));
  const secretBox = createSecretBox(randomBytes(32));
  const f = await apiFixture({ allowLocalSources: true, secretBox, ...overrides });
  const reporter = await startStatusReporter({ prisma: f.prisma, redis: f.redis, prefix: f.prefix, publicUrl: 'http://archway.test', secretBox });
  return {
    f,
    forge,
    apiUrl: `http://127.0.0.1:${(forge.server.address() as AddressInfo).port}/api/v3`,
    async close() {
      await reporter.close();
      await f.close();
      forge.server.close();
    },
  };
}
