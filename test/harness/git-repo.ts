import { execFile } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A real git repository on disk with the given files committed on `main`; returns its URL and commit. */
export async function makeGitRepo(dir: string, files: Record<string, string | { copyFrom: string }>): Promise<{ url: string; commit: string; dir: string }> {
  await mkdir(dir, { recursive: true });
  const git = (...args: string[]) => run('git', args, { cwd: dir });
  await git('init', '-q', '-b', 'main');
  await git('config', 'user.email', 'test@archway.invalid');
  await git('config', 'user.name', 'Archway Test');
  await commitFiles(dir, files, 'initial');
  const { stdout } = await git('rev-parse', 'HEAD');
  return { url: `file://${dir}`, commit: stdout.trim(), dir };
}

export async function commitFiles(dir: string, files: Record<string, string | { copyFrom: string }>, message: string): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    if (typeof content === 'string') await writeFile(target, content);
    else await copyFile(content.copyFrom, target);
  }
  await run('git', ['add', '-A'], { cwd: dir });
  await run('git', ['commit', '-q', '-m', message], { cwd: dir });
  const { stdout } = await run('git', ['rev-parse', 'HEAD'], { cwd: dir });
  return stdout.trim();
}

/** A FROM-scratch image with a static busybox, a file and RUN steps: builds for any platform here. */
export const BUSYBOX_CONTAINERFILE = `FROM scratch
COPY busybox /bin/busybox
COPY hello.txt /hello.txt
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /out && /bin/busybox cp /hello.txt /out/ && echo built"]
RUN ["/bin/busybox", "sh", "-c", "echo second step"]
`;

/** The e2e fixture repo: the busybox image at the root, a RUN that exits 3 in `fail/`. */
export function busyboxRepoFiles(hello: string): Record<string, string | { copyFrom: string }> {
  return {
    Containerfile: BUSYBOX_CONTAINERFILE,
    busybox: { copyFrom: '/bin/busybox' },
    'hello.txt': hello,
    'fail/Containerfile': 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sh", "-c", "echo about to fail; exit 3"]\n',
  };
}

/** Two stages from scratch + busybox-static; each writes which stage made the image into /stage (for `target`). */
export const TWO_STAGE_CONTAINERFILE = [
  'FROM scratch AS tools',
  'COPY busybox /bin/busybox',
  'RUN ["/bin/busybox", "sh", "-c", "echo tools > /stage"]',
  'FROM scratch AS final',
  'COPY busybox /bin/busybox',
  'RUN ["/bin/busybox", "sh", "-c", "echo final > /stage"]',
  '',
].join('\n');
