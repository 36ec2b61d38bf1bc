import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A real git repository served as file:// with one branch per scenario. Images are FROM scratch
 * with the static busybox copied in (there is no internet here); RUN uses the exec form.
 *
 * - `main`: prints 40 coloured progress lines over ~6 s (watch them arrive), then a cached-able COPY.
 * - `slow`: prints a line a second for 5 minutes (to be canceled).
 * - `broken`: step 4 exits 3 (failure reason, jump to failing step).
 * - `big`: prints 100,000 lines (the viewer must open and scroll them smoothly).
 */
export async function fixtureRepo(root: string): Promise<{ url: string; dir: string }> {
  const dir = join(root, 'app-repo');
  await mkdir(dir, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      env: { ...process.env, GIT_AUTHOR_NAME: 'e2e', GIT_AUTHOR_EMAIL: 'e2e@example.test', GIT_COMMITTER_NAME: 'e2e', GIT_COMMITTER_EMAIL: 'e2e@example.test' },
    }).toString();
  // In the Containerfile the JSON string holds `\\033`, which JSON turns into `\033` for printf.
  const run = (script: string) => `RUN ["/bin/busybox", "sh", "-c", ${JSON.stringify(script)}]`;
  const containerfile = (steps: string[]) => ['FROM scratch', 'COPY busybox /bin/busybox', ...steps, 'COPY hello /hello', ''].join('\n');

  git('init', '-q', '-b', 'main');
  await copyFile('/bin/busybox', join(dir, 'busybox'));
  await writeFile(join(dir, 'hello'), 'hello from archway e2e\n');
  await writeFile(
    join(dir, 'Containerfile'),
    containerfile([
      run("for i in $(/bin/busybox seq 1 40); do /bin/busybox printf '\\033[32mprogress %s\\033[0m of the build\\n' $i; /bin/busybox sleep 0.15; done"),
    ]),
  );
  git('add', '.');
  git('commit', '-q', '-m', 'app');

  git('checkout', '-q', '-b', 'slow');
  await writeFile(join(dir, 'Containerfile'), containerfile([run('for i in $(/bin/busybox seq 1 300); do echo "waiting $i"; /bin/busybox sleep 1; done')]));
  git('commit', '-q', '-am', 'slow');

  git('checkout', '-q', 'main');
  git('checkout', '-q', '-b', 'broken');
  await writeFile(
    join(dir, 'Containerfile'),
    containerfile([run('echo preparing'), run("echo 'compiling…'; /bin/busybox printf '\\033[31merror:\\033[0m tests failed\\n' >&2; exit 3")]),
  );
  git('commit', '-q', '-am', 'broken');
  git('checkout', '-q', 'main');
  git('checkout', '-q', '-b', 'big');
  // ROUND (a build arg) lets a test force a fresh, uncached run of the step.
  await writeFile(
    join(dir, 'Containerfile'),
    containerfile(['ARG ROUND=0', run('/bin/busybox awk \'BEGIN { for (i = 1; i <= 100000; i++) print "line " i " of a long log" }\'; echo round $ROUND')]),
  );
  git('commit', '-q', '-am', 'big');
  git('checkout', '-q', 'main');
  return { url: `file://${dir}`, dir };
}
