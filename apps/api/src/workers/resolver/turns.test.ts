import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RESOLVE_TURNS } from '../../infra/turns.ts';
import { apiFixture, makeGitRepo, resolved, waitFor, type ApiFixture } from '../../testing/fixture.ts';

// The resolver runs builds in turns (infra/turns.ts), and a build waiting on git gives its turn
// back: with more builds stuck on a git server that never answers than there are turns, another
// build still resolves at once. A git server that accepts connections and never speaks holds them.
let f: ApiFixture;
let repo: { url: string; commit: string };
const held: Socket[] = [];
const silent = createServer((socket) => held.push(socket));

beforeAll(async () => {
  f = await apiFixture({ allowLocalSources: true, gitTimeoutMs: 120_000 });
  repo = await makeGitRepo(f.tmp);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  for (const socket of held) socket.destroy();
  silent.close();
  await f?.close();
});

const post = async (source: Record<string, string>) => {
  const res = await f.app.inject({
    method: 'POST',
    url: '/api/v1/builds',
    headers: f.auth,
    payload: { source, platforms: ['linux/amd64'], push: false },
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().id as string;
};

it('resolves a build while more builds than there are turns wait on git', async () => {
  const port = (silent.address() as AddressInfo).port;
  const stuck = RESOLVE_TURNS + 1;
  // Distinct repositories: identical git calls would be joined into one.
  const waiting = await Promise.all(Array.from({ length: stuck }, (_, i) => post({ url: `git://127.0.0.1:${port}/repo-${i}.git`, ref: 'main' })));
  await waitFor(async () => held.length === stuck, `${stuck} git connections`);
  const pinned = await post({ url: repo.url, ref: 'main', commit: repo.commit });
  expect((await resolved(f, pinned)).status).toBe('queued');
  const still = await f.prisma.build.findMany({ where: { id: { in: waiting } }, select: { status: true } });
  expect(still.map((b) => b.status)).toEqual(Array(stuck).fill('resolving'));
});
