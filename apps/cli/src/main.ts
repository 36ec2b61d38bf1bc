import { parseArgs } from 'node:util';
import { isFinalBuildStatus } from '@archway/contract';
import { CONFIG_EXIT_CODE, ConfigError, loadConfig } from '@archway/runtime/config';
import { cliConfig } from './env.ts';
import { CliError, createClient, type ApiClient } from './client.ts';
import { followBuild, streamLog, type Output } from './follow.ts';
import { describeBuild } from './format.ts';
import { supplyDocument } from './supply.ts';
import { exitCodeOf, type BuildView } from './types.ts';

const USAGE = `usage: archway <command> [options]

  build <repo> [--ref REF] [--commit SHA] [--follow]
                       build a registered repository (id or owner/name); --follow streams the
                       logs and exits 0 when the build succeeds, 1 when it fails or is canceled
  status <build-id> [--json]
                       show a build; exit 0 unless it failed or was canceled
  logs <build-id> [--platform P] [--follow]
                       print a build's log (every platform when --platform is not given)
  sbom <build-id> [--platform P]    print a platform's SBOM (SPDX 2.3 JSON)
  provenance <build-id> [--platform P]
                       print a platform's SLSA provenance (in-toto statement)
  rebuild <build-id> [--follow]     build the same commit and settings again
  cancel <build-id>                 cancel a queued or running build

  --url URL            Archway's address (ARCHWAY_URL, default http://127.0.0.1:8080)
  --token TOKEN        an API token (ARCHWAY_TOKEN); scopes: read for status/logs/sbom/provenance, build otherwise

exit codes: 0 success, 1 the build failed or was canceled, 2 usage, 3 API or network error`;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, o: Output = defaultOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ref: { type: 'string' },
        commit: { type: 'string' },
        platform: { type: 'string' },
        follow: { type: 'boolean', short: 'f', default: false },
        json: { type: 'boolean', default: false },
        url: { type: 'string' },
        token: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    o.err(`archway: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, target] = positionals;
  if (values.help || !command) {
    (values.help ? o.out : o.err)(USAGE);
    return values.help ? 0 : 2;
  }
  let config;
  try {
    config = loadConfig(cliConfig, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    o.err(`archway: ${err.message}`);
    return CONFIG_EXIT_CODE;
  }
  const token = values.token ?? config.ARCHWAY_TOKEN;
  if (!token) {
    o.err('archway: no API token: set ARCHWAY_TOKEN or pass --token (create one with POST /api/v1/tokens)');
    return 2;
  }
  if (!target) {
    o.err(`archway: ${command} needs ${command === 'build' ? 'a repository' : 'a build id'}\n${USAGE}`);
    return 2;
  }
  const client = createClient(values.url ?? config.ARCHWAY_URL, token);
  try {
    switch (command) {
      case 'build':
        return await build(client, target, values, o);
      case 'status':
        return await status(client, target, values.json, o);
      case 'logs':
        return await logs(client, target, values.platform, values.follow, o);
      case 'sbom':
      case 'provenance':
        return await supplyDocument(client, command, target, values.platform, o);
      case 'rebuild': {
        const created = await client.json<{ id: string }>('POST', `/api/v1/builds/${target}/rebuild`);
        return started(client, created.id, values.follow, o);
      }
      case 'cancel': {
        const b = await client.json<BuildView>('POST', `/api/v1/builds/${target}/cancel`);
        // 202: the API's recorder has not applied the cancel yet; the build still shows its old state.
        o.out(b.status === 'canceled' ? `build ${b.id} canceled` : `build ${b.id} cancel requested (still ${b.status})`);
        return 0;
      }
      default:
        o.err(`archway: unknown command "${command}"\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof CliError) {
      o.err(`archway: ${err.message}`);
      return err.exitCode;
    }
    throw err;
  }
}

const defaultOutput: Output = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

async function resolveRepo(client: ApiClient, repo: string): Promise<string> {
  if (UUID_RE.test(repo)) return repo;
  const { items } = await client.json<{ items: { id: string; provider: string }[] }>('GET', `/api/v1/repos?fullName=${encodeURIComponent(repo)}`);
  if (items.length === 0) throw new CliError(`repository ${repo} is not registered (see GET /api/v1/repos)`, 2);
  if (items.length > 1) throw new CliError(`${repo} is registered more than once (${items.map((r) => `${r.provider} ${r.id}`).join(', ')}): pass the id`, 2);
  return items[0]!.id;
}

async function build(client: ApiClient, repo: string, v: { ref?: string; commit?: string; follow: boolean }, o: Output): Promise<number> {
  const id = await resolveRepo(client, repo);
  const created = await client.json<{ id: string; canceled?: string[]; error?: string | null }>('POST', `/api/v1/repos/${id}/builds`, {
    ...(v.ref ? { ref: v.ref } : {}),
    ...(v.commit ? { commit: v.commit } : {}),
  });
  for (const c of created.canceled ?? []) o.err(`archway: canceled superseded build ${c}`);
  if (created.error) {
    // Failed before any agent saw it (an invalid .archway.yaml): nothing to follow.
    o.out(created.id);
    o.err(`archway: build ${created.id} failed: ${created.error}`);
    return 1;
  }
  return started(client, created.id, v.follow, o);
}

async function started(client: ApiClient, id: string, follow: boolean, o: Output): Promise<number> {
  if (!follow) {
    o.out(id);
    return 0;
  }
  o.err(`archway: build ${id}: ${client.url}/builds/${id}`);
  const final = await followBuild(client, id, o);
  for (const line of describeBuild(final, client.url)) o.err(line);
  return exitCodeOf(final);
}

async function status(client: ApiClient, id: string, json: boolean, o: Output): Promise<number> {
  const b = await client.json<BuildView>('GET', `/api/v1/builds/${id}`);
  if (json) o.out(JSON.stringify(b, null, 2));
  else for (const line of describeBuild(b, client.url)) o.out(line);
  return isFinalBuildStatus(b.status) ? exitCodeOf(b) : 0;
}

async function logs(client: ApiClient, id: string, platform: string | undefined, follow: boolean, o: Output): Promise<number> {
  const b = await client.json<BuildView>('GET', `/api/v1/builds/${id}`);
  const platforms = platform ? [platform] : b.tasks.map((t) => t.platform);
  if (follow) {
    const many = platforms.length > 1;
    const controller = new AbortController();
    await Promise.all(platforms.map((p) => streamLog(client, id, p, many ? `[${p}] ` : '', o, controller.signal)));
    return 0;
  }
  for (const p of platforms) {
    const text = await (await client.raw(`/api/v1/builds/${id}/logs?platform=${encodeURIComponent(p)}`)).text();
    if (platforms.length > 1) o.out(`==> ${p} <==`);
    if (text) for (const line of text.replace(/\n$/, '').split('\n')) o.out(line);
  }
  return 0;
}
