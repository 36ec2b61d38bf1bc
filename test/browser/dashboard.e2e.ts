import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build as viteBuild } from 'vite';
import { launchBrowser, openPage } from './browser.ts';
import { fixtureRepo } from './fixture-repo.ts';
import { startStack, type Stack } from './stack.ts';

const WEB = fileURLToPath(new URL('../../apps/web/', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/e2e/', import.meta.url));
const BUILD_TIMEOUT = 240_000;

let stack: Stack;
let repoUrl: string;
let repoDir: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let errors: string[];

const shot = (name: string, p: Page = page) => p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const headerStatus = (p: Page = page) => p.locator('.build-meta .badge').first();
const buildIdOf = (url: string) => /\/builds\/([0-9a-f-]{36})/.exec(url)?.[1];

async function startBuildFromForm(opts: { ref: string; platforms: string; push: boolean }): Promise<string> {
  await page.goto(`${stack.url}/builds`);
  await page.getByRole('button', { name: 'New build' }).click();
  await page.locator('#nb-url').fill(repoUrl);
  await page.locator('#nb-ref').fill(opts.ref);
  await page.locator('#nb-platforms').fill(opts.platforms);
  await page.locator('#nb-image').fill(`${stack.registryHost}/e2e/app`);
  await page.locator('#nb-tags').fill(`latest ${opts.ref}`);
  const push = page.locator('#nb-push');
  if ((await push.isChecked()) !== opts.push) await push.click();
  const before = page.url();
  await page.getByRole('button', { name: 'Start build' }).click();
  await page.waitForURL((u) => u.toString() !== before && /\/builds\/[0-9a-f-]{36}/.test(u.toString()));
  return buildIdOf(page.url())!;
}

async function waitForStatus(status: string | RegExp, timeout = BUILD_TIMEOUT): Promise<void> {
  await headerStatus().filter({ hasText: status }).waitFor({ timeout });
}

describe('dashboard against the real stack', { timeout: 20 * 60_000 }, () => {
  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await viteBuild({ root: WEB, logLevel: 'warn' });
    stack = await startStack();
    ({ url: repoUrl, dir: repoDir } = await fixtureRepo(stack.tmp));
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    ({ page, errors } = await openPage(context));
  });

  after(async () => {
    // What the stack printed (API, merger, agents), to diagnose a failure without re-running.
    if (stack) await writeFile(join(ARTIFACTS, 'stack.log'), stack.output());
    await browser?.close();
    if (process.env.ARCHWAY_E2E_KEEP) console.log(`stack left running at ${stack?.url}`);
    else await stack?.stop();
  });

  it('signs in with an API token into an httpOnly, SameSite=Strict session', async () => {
    await page.goto(stack.url);
    await page.getByRole('heading', { name: 'Sign in to Archway' }).waitFor();
    await page.getByLabel('API token').fill(stack.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Builds' }).waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === 'archway_session');
    assert.ok(cookie, 'session cookie set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie.includes('archway_session')), false);
  });

  let firstBuild: string;
  it('starts a build and shows its log lines live, in colour', { timeout: BUILD_TIMEOUT + 60_000 }, async () => {
    firstBuild = await startBuildFromForm({ ref: 'main', platforms: 'linux/amd64, linux/arm64', push: true });
    const log = page.getByRole('region', { name: /^Log of linux\// });
    // Seen while the build runs: some progress lines, not yet all of them, and the viewer says live.
    await log
      .locator('.log-line', { hasText: /progress \d+ of the build/ })
      .first()
      .waitFor({ timeout: 120_000 });
    const meta = await page.locator('.log-meta').textContent();
    const seen = await log.locator('.log-line', { hasText: 'progress 40 of the build' }).count();
    assert.match(meta ?? '', /live/, 'the log is streaming while the step runs');
    assert.equal(seen, 0, 'the last progress line had not been printed yet');
    await log.locator('.log-line', { hasText: 'progress 40 of the build' }).waitFor({ timeout: 60_000 });
    assert.ok((await log.locator('.ansi-fg-2', { hasText: 'progress' }).count()) > 0, 'ANSI green rendered as a span');
    await waitForStatus('succeeded');
  });

  it('shows the phase timeline with every phase of both platforms and the publish', async () => {
    const timeline = page.locator('section.timeline');
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const group = timeline.locator('.timeline-group', { has: page.getByRole('heading', { name: new RegExp(platform) }) });
      const names = await group.locator('.timeline-name').allTextContents();
      for (const phase of ['clone', 'export', 'upload']) assert.ok(names.includes(phase), `${platform} has ${phase}: ${names.join(', ')}`);
      assert.ok(
        names.some((n) => /^step \d+\/\d+/i.test(n)),
        `${platform} has Containerfile steps: ${names.join(', ')}`,
      );
    }
    const publish = timeline.locator('.timeline-group', { has: page.getByRole('heading', { name: /^publish/ }) });
    assert.ok((await publish.locator('.timeline-row').count()) > 0, 'build-level publish phases shown');
    await timeline.getByText(/^Slowest:/).waitFor();
    const digest = page.locator('.image-info code', { hasText: '@sha256:' });
    assert.match((await digest.textContent()) ?? '', new RegExp(`^${stack.registryHost}/e2e/app@sha256:[0-9a-f]{64}$`));
    assert.equal(await page.getByRole('button', { name: 'Copy image digest' }).count(), 1);
    await shot('build-detail');
  });

  it('loads the finished log of the other platform (object store) in its tab', async () => {
    await page.getByRole('tab', { name: /linux\/arm64/ }).click();
    const log = page.getByRole('region', { name: 'Log of linux/arm64' });
    await page.locator('.log-meta', { hasText: /^[\d,]+ lines$/ }).waitFor({ timeout: 30_000 });
    // The whole log is there, first line to last. Search rather than look: a tab opened while
    // its task was still running follows the end, so the first line may be scrolled away.
    const search = page.getByRole('searchbox', { name: 'Search log' });
    await search.fill('archway: agent e2e-arm64 building linux/arm64');
    await page.getByText('1 / 1').waitFor({ timeout: 30_000 });
    await log.locator('.log-line', { hasText: 'archway: agent e2e-arm64 building linux/arm64' }).waitFor();
    await search.fill('archway: built sha256:');
    await page.getByText('1 / 1').waitFor();
    await log.locator('mark.match.current').waitFor();
    // Keyboard: arrow keys move between platform tabs.
    await page.getByRole('tab', { name: /linux\/arm64/ }).focus();
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.getByRole('tab', { name: /linux\/amd64/ }).getAttribute('aria-selected'), 'true');
  });

  it('Rebuild lands on the new build, which reuses the layer cache', { timeout: BUILD_TIMEOUT + 30_000 }, async () => {
    await page.getByRole('button', { name: 'Rebuild' }).click();
    await page.waitForURL((u) => buildIdOf(u.toString()) !== undefined && buildIdOf(u.toString()) !== firstBuild);
    const rebuilt = buildIdOf(page.url())!;
    assert.notEqual(rebuilt, firstBuild);
    // The header must be the new build's before its status means anything.
    await page.locator('.breadcrumbs', { hasText: rebuilt.slice(0, 8) }).waitFor();
    await waitForStatus('succeeded');
    assert.ok((await page.locator('.timeline-row.cached').count()) > 0, 'cached steps are marked');
  });

  it('cancels a running build', { timeout: BUILD_TIMEOUT }, async () => {
    await startBuildFromForm({ ref: 'slow', platforms: 'linux/amd64', push: false });
    await page.getByRole('region', { name: 'Log of linux/amd64' }).locator('.log-line', { hasText: 'waiting 2' }).waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await waitForStatus('canceled', 60_000);
    await page.getByText('This build was canceled.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel' }).count(), 0);
  });

  it('explains a failed build in plain words and jumps to the failing step', { timeout: BUILD_TIMEOUT }, async () => {
    await startBuildFromForm({ ref: 'broken', platforms: 'linux/amd64', push: false });
    await waitForStatus('failed');
    const banner = page.locator('.banner-error');
    await banner.waitFor();
    const text = (await banner.textContent()) ?? '';
    assert.match(text, /linux\/amd64/);
    assert.match(text, /step 4\/5/i);
    assert.match(text, /exit code 3/);
    await page.getByRole('button', { name: 'Jump to failing step' }).click();
    const failed = page.locator('.log-line.failed-step');
    await failed.waitFor();
    assert.match((await failed.textContent()) ?? '', /STEP 4\/5/i);
    await shot('build-failed');
  });

  it('opens and scrolls a 100,000-line log smoothly', { timeout: BUILD_TIMEOUT }, async () => {
    const id = await startBuildFromForm({ ref: 'big', platforms: 'linux/amd64', push: false });
    await waitForStatus('succeeded');
    // Open the finished build afresh, as someone arriving from a link would.
    const started = Date.now();
    await page.goto(`${stack.url}/builds/${id}`);
    const log = page.getByRole('region', { name: 'Log of linux/amd64' });
    const meta = page.locator('.log-meta', { hasText: /^[\d,]+ lines$/ });
    await meta.waitFor({ timeout: 30_000 });
    const openMs = Date.now() - started;
    assert.ok(openMs < 10_000, `opened in ${openMs} ms`);
    // The viewer shows exactly the lines the server has…
    const shown = Number(((await meta.textContent()) ?? '').replace(/\D/g, ''));
    const served = await page.evaluate(
      async (url) => (await (await fetch(url)).text()).split('\n').length - 1,
      `/api/v1/builds/${id}/logs?platform=linux%2Famd64`,
    );
    assert.equal(shown, served);
    // …and the server has every line the build printed (agent → Redis/object store is lossless).
    assert.ok(shown > 100_000, `all 100,000 printed lines arrived (the log has ${shown} lines)`);
    assert.ok((await log.locator('.vrow').count()) < 100, 'only a window of rows is in the DOM');
    await log.focus();
    await page.keyboard.press('End');
    await log.locator('.log-line', { hasText: 'line 100000 of a long log' }).waitFor();
    // Scroll the whole log with the wheel and measure frame times.
    const frames = await log.evaluate(async (el) => {
      const times: number[] = [];
      let last = performance.now();
      el.scrollTop = 0;
      for (let i = 0; i < 60; i++) {
        el.scrollTop += el.scrollHeight / 60;
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      times.sort((a, b) => a - b);
      return { p50: times[30]!, p95: times[57]! };
    });
    console.log(`100k-line log: opened in ${openMs} ms, scroll frame p50 ${frames.p50.toFixed(1)} ms, p95 ${frames.p95.toFixed(1)} ms`);
    assert.ok(frames.p95 < 100, `scroll frames p95 ${frames.p95} ms`);
    await shot('build-big-log');
  });

  it('lists builds newest first and updates them live', { timeout: BUILD_TIMEOUT }, async () => {
    await page.goto(`${stack.url}/builds`);
    const rows = page.locator('tr.build-row');
    await rows.nth(3).waitFor();
    assert.match((await rows.first().textContent()) ?? '', /big/);
    // A build started elsewhere (CI, with a Bearer token) appears and progresses without a reload.
    const res = await fetch(`${stack.url}/api/v1/builds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source: { url: repoUrl, ref: 'main' }, platforms: ['linux/amd64', 'linux/arm64'], push: false }),
    });
    assert.equal(res.status, 202);
    const { id } = (await res.json()) as { id: string };
    const row = page.locator('tr.build-row', { has: page.locator(`a[href="/builds/${id}"]`) });
    await row.waitFor({ timeout: 15_000 });
    await row.locator('.badge', { hasText: 'succeeded' }).first().waitFor({ timeout: BUILD_TIMEOUT });
    assert.equal(await row.locator('.platform-badges .badge', { hasText: 'built' }).count(), 2);
    await shot('builds-list');
  });

  it('shows agents per platform and queue depth', async () => {
    await page.getByRole('link', { name: 'Agents' }).click();
    for (const platform of ['linux/amd64', 'linux/arm64']) await page.getByRole('heading', { name: platform }).waitFor();
    for (const id of ['e2e-amd64', 'e2e-arm64']) await page.getByText(id, { exact: true }).waitFor();
    assert.ok((await page.locator('.queues-table tbody tr').count()) >= 2);
    await shot('agents');
  });

  it('says on the build page when no agent of a platform is connected, and the build can still be canceled', async () => {
    await startBuildFromForm({ ref: 'main', platforms: 'linux/riscv64', push: false });
    await page.getByText('No agent for linux/riscv64 is connected.').waitFor({ timeout: 15_000 });
    await shot('no-agent');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await waitForStatus('canceled', 30_000);
    assert.equal(await page.getByText('No agent for linux/riscv64 is connected.').count(), 0);
  });

  let repoPage: string;
  let webhookSecret: string;
  it('registers a repository through the UI and shows its webhook URL and the secret once', async () => {
    await page.getByRole('link', { name: 'Repositories' }).click();
    await page.getByRole('heading', { name: 'Repositories' }).waitFor();
    await page.getByRole('button', { name: 'Register repository' }).click();
    await page.locator('#rr-fullName').fill('e2e/app');
    await page.locator('#rr-cloneUrl').fill(repoUrl);
    await page.locator('#rr-image').fill(`${stack.registryHost}/e2e/repo-app`);
    assert.equal(await page.locator('#rr-provider').inputValue(), 'github');
    assert.equal(await page.locator('#rr-platforms').inputValue(), 'linux/amd64, linux/arm64');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await page.waitForURL(/\/repos\/[0-9a-f-]{36}$/);
    repoPage = page.url();
    await page.getByRole('heading', { name: 'e2e/app' }).waitFor();
    // The webhook URL names the repository: its secret is checked before the body is read.
    assert.equal(await page.getByTestId('webhook-url').textContent(), `${stack.url}/hooks/github/${repoPage.split('/').pop()}`);
    webhookSecret = (await page.getByTestId('webhook-secret').textContent()) ?? '';
    assert.ok(webhookSecret.length >= 16, `a webhook secret is shown (${webhookSecret.length} characters)`);
    assert.equal(await page.getByRole('button', { name: 'Copy webhook secret' }).count(), 1);
    // The GitHub steps are open while the secret is on screen.
    await page.getByText('Let me select individual events').waitFor();
    await shot('repo-registered');
    // The shown secret is the one the API checks: a ping signed with it is accepted and listed.
    const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1, repository: { full_name: 'e2e/app' } });
    const res = await fetch(`${stack.url}/hooks/github/${repoPage.split('/').pop()}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`,
      },
      body,
    });
    const pong = await res.text();
    assert.equal(res.status, 200, pong);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('.deliveries-table .badge', { hasText: 'ping' }).waitFor();
    // Shown once: after a reload the page no longer has it.
    await page.reload();
    await page.getByRole('heading', { name: 'e2e/app' }).waitFor();
    assert.equal(await page.getByTestId('webhook-secret').count(), 0);
    await page.getByText('it is not shown again').waitFor();
    assert.equal((await page.content()).includes(webhookSecret), false, 'the secret is nowhere in the page');
  });

  it('shows webhook and "Build ref" builds of the repository with a duration trend per platform', { timeout: 2 * BUILD_TIMEOUT }, async () => {
    // A push webhook for the broken branch, signed with the secret: a failing build of the repository.
    const commit = execFileSync('git', ['rev-parse', 'broken'], { cwd: repoDir }).toString().trim();
    const body = JSON.stringify({ ref: 'refs/heads/broken', after: commit, head_commit: { id: commit }, repository: { full_name: 'e2e/app' } });
    const res = await fetch(`${stack.url}/hooks/github/${repoPage.split('/').pop()}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`,
      },
      body,
    });
    const answer = await res.text();
    assert.equal(res.status, 202, answer);
    const broken = (JSON.parse(answer) as { build: { id: string } }).build.id;
    await page.goto(`${stack.url}/builds/${broken}`);
    await page.locator('h1 .repo-link', { hasText: 'e2e/app' }).waitFor();
    await waitForStatus('failed');

    // "Build ref" on the repository page builds main with the repository's rules.
    await page.goto(repoPage);
    await page.locator('#br-ref').fill('main');
    await page.getByRole('button', { name: 'Build ref' }).click();
    await page.waitForURL((u) => {
      const id = buildIdOf(u.toString());
      return id !== undefined && id !== broken;
    });
    const built = buildIdOf(page.url())!;
    await waitForStatus('succeeded');
    const tags = await page.locator('.image-info code', { hasText: `${stack.registryHost}/e2e/repo-app:` }).allTextContents();
    assert.ok(tags.includes(`${stack.registryHost}/e2e/repo-app:latest`), `default branch tags latest: ${tags.join(', ')}`);

    await page.locator('h1 .repo-link').click();
    await page.waitForURL(repoPage);
    const rows = page.locator('.repo-page tr.build-row');
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    assert.match((await rows.nth(0).textContent()) ?? '', /main/);
    assert.match((await rows.nth(1).textContent()) ?? '', /broken/);
    const chart = page.getByTestId('trend-chart');
    await chart.waitFor();
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const series = chart.locator(`.trend-series[data-platform="${platform}"]`);
      assert.equal(await series.locator('a').count(), 2, `${platform}: a point per build`);
      assert.ok((await series.locator(`a[href="/builds/${built}"] circle`).count()) === 1, `${platform}: the built one is a dot`);
    }
    assert.equal(await chart.locator('.trend-failed-band').count(), 1, 'the failed build is marked');
    assert.equal(await chart.locator('.trend-point-failed').count(), 2, 'both failed platforms are crosses');
    await shot('repo-page');

    // The builds list filters by this repository and by branch on the server.
    await page.goto(`${stack.url}/builds`);
    await page.locator('tr.build-row').first().waitFor();
    await page.locator('#f-repo').selectOption({ label: 'e2e/app' });
    await page.waitForURL(/repo=/);
    await page.locator('tr.build-row').nth(1).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tr.build-row').length === 2);
    await page.locator('#f-branch').fill('broken');
    await page.waitForURL(/branch=broken/);
    await page.waitForFunction(() => document.querySelectorAll('tr.build-row').length === 1);
    assert.equal(await page.locator('tr.build-row a').first().getAttribute('href'), `/builds/${broken}`);
  });

  it('edits repository settings and sets and removes the forge token without ever showing it', async () => {
    await page.goto(repoPage);
    await page.getByRole('button', { name: 'Edit settings' }).click();
    await page.locator('#rs-args').fill('GREETING=hello=world');
    await page.getByLabel('Other branches tag their name').uncheck();
    await page.getByLabel('the same branch').check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    const settings = page.locator('section.repo-settings');
    await settings.getByText('GREETING=hello=world').waitFor();
    await settings.getByText('Other branches tag their name: no').waitFor();
    await settings.getByText('branches: yes, pull requests: yes').waitFor();
    const api = (await (await fetch(repoPage.replace('/repos/', '/api/v1/repos/'), { headers: { authorization: `Bearer ${stack.token}` } })).json()) as {
      buildArgs: Record<string, string>;
      tagRules: { branches: boolean; semver: boolean };
    };
    assert.deepEqual(api.buildArgs, { GREETING: 'hello=world' });
    assert.equal(api.tagRules.branches, false);
    assert.equal(api.tagRules.semver, true, 'untouched rules keep their value');

    const token = `forge_${randomUUID()}`;
    await page.locator('#ft-token').fill(token);
    await page.getByRole('button', { name: 'Save token' }).click();
    await page.getByTestId('forge-token-state').filter({ hasText: 'A token is set' }).waitFor();
    assert.equal(await page.locator('#ft-token').inputValue(), '');
    await page.reload();
    await page.getByTestId('forge-token-state').filter({ hasText: 'A token is set' }).waitFor();
    assert.equal((await page.content()).includes(token), false, 'the token is nowhere in the page');
    await page.getByRole('button', { name: 'Remove token' }).click();
    await page.getByTestId('forge-token-state').filter({ hasText: 'No token' }).waitFor();

    // Build secrets: the id is listed, the value never appears; removing it leaves none.
    const secretValue = `npm_${randomUUID()}`;
    await page.locator('#bs-id').fill('npm_token');
    await page.locator('#bs-value').fill(secretValue);
    await page.getByRole('button', { name: 'Add secret' }).click();
    await page.getByRole('list', { name: 'Secret ids' }).getByText('npm_token').waitFor();
    assert.equal((await page.content()).includes(secretValue), false, 'the secret value is nowhere in the page');
    await page.getByRole('button', { name: 'Remove secret npm_token' }).click();
    await page.locator('section.build-secrets').getByText('No build secrets.').waitFor();

    // Rotating the webhook secret shows the new one once; the forge's old secret stops working.
    await page.getByRole('button', { name: 'New secret…' }).click();
    await page.getByRole('button', { name: 'Rotate now' }).click();
    const rotated = (await page.getByTestId('webhook-secret').textContent()) ?? '';
    assert.ok(rotated.length >= 16 && rotated !== webhookSecret, 'a new secret is shown');
    const ping = (secret: string) => {
      const body = JSON.stringify({ zen: 'Design for failure.', hook_id: 1, repository: { full_name: 'e2e/app' } });
      return fetch(`${stack.url}/hooks/github/${repoPage.split('/').pop()}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'ping',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
        },
        body,
      });
    };
    assert.equal((await ping(webhookSecret)).status, 401, 'the old secret is refused');
    assert.equal((await ping(rotated)).status, 200, 'the new secret is accepted');
    await page.getByRole('button', { name: 'I have saved it' }).click();
    assert.equal(await page.getByTestId('webhook-secret').count(), 0);
  });

  it('works on a phone-sized screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, storageState: await context.storageState() });
    const { page: p, errors: phoneErrors } = await openPage(phone);
    await p.goto(`${stack.url}/builds`);
    await p.locator('tr.build-row').first().waitFor();
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `no horizontal page scroll on a phone (overflow ${overflow}px)`);
    await shot('builds-list-phone', p);
    await p.goto(`${stack.url}/builds/${firstBuild}`);
    await p.locator('section.timeline .timeline-row').first().waitFor();
    await shot('build-detail-phone', p);
    await p.goto(repoPage);
    await p.getByTestId('trend-chart').waitFor();
    const repoOverflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(repoOverflow <= 1, `no horizontal scroll on the repository page (overflow ${repoOverflow}px)`);
    await shot('repo-page-phone', p);
    assert.deepEqual(phoneErrors, []);
    await phone.close();
  });

  it('signs out: the session ends and the API refuses the old cookie', async () => {
    const old = (await context.cookies()).find((c) => c.name === 'archway_session')!;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Archway' }).waitFor();
    assert.equal(
      (await context.cookies()).some((c) => c.name === 'archway_session' && c.value),
      false,
    );
    const res = await fetch(`${stack.url}/api/v1/builds`, { headers: { cookie: `${old.name}=${old.value}` } });
    assert.equal(res.status, 401);
  });

  it('logged no console errors', () => {
    assert.deepEqual(errors, []);
  });
});
