import { sealBuildSecret } from '@archway/runtime';
import type { PrismaClient } from '../../infra/db.ts';
import { HttpError } from '../../infra/errors.ts';
import type { SecretBox } from '../../infra/secrets/secret-box.ts';
import { SecretBoxError } from '../../infra/secrets/secret-box.ts';

/** What a build takes from its repository's settings besides the request: time limit and secrets. */
export interface RepoBuildSettings {
  timeoutMs?: number;
  /** Opened values, only in memory, sealed per task by sealerFor. */
  secrets: { id: string; value: string }[];
  /** The repository's shared layer cache (BuildJob.cache). */
  cache?: { scope: string; write: boolean };
  /** The repository's attestations switch (false: none, whatever the request says). */
  attestations?: boolean;
  /** The repository's name (`.title` of the image annotations). */
  title?: string;
}

export interface RepoSettingsDeps {
  prisma: PrismaClient;
  secretBox?: SecretBox;
  /** The agents' key (ARCHWAY_AGENT_SECRET_KEY[_FILE]); absent: builds of repositories with secrets are refused. */
  agentSecretKey?: Buffer;
  /** ARCHWAY_LAYER_CACHE: the shared layer cache for repositories that do not say. */
  layerCache?: boolean;
}

/** A misconfiguration the operator must fix before this repository can build (nothing is created). */
class NotConfiguredError extends HttpError {
  constructor(message: string) {
    super(503, 'service_unavailable', message, 'secrets');
  }
}

/** The stored sealed values by id (the row's JSON). */
export function storedSecrets(json: unknown): Record<string, string> {
  return json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, string>) : {};
}

/**
 * Reads the repository's time limit and opens its build secrets. Refuses (before anything is
 * created) when secrets exist but the agents' key is not configured or a value cannot be opened.
 * Pull request builds (`triggerRef` `pr:<n>`) run the PR's Containerfile: they get the secrets
 * only when the repository says so (`pullRequestSecrets`).
 */
export async function repoBuildSettings(deps: RepoSettingsDeps, origin: { repoId?: string | null; triggerRef?: string | null }): Promise<RepoBuildSettings> {
  if (!origin.repoId) return { secrets: [] };
  const repo = await deps.prisma.repo.findUnique({
    where: { id: origin.repoId },
    select: { id: true, fullName: true, buildSecrets: true, buildTimeoutMs: true, pullRequestSecrets: true, attestations: true, layerCache: true },
  });
  if (!repo) return { secrets: [] }; // deleted meanwhile: a rebuild keeps working without its settings
  const sealed = Object.entries(storedSecrets(repo.buildSecrets)).sort(([a], [b]) => a.localeCompare(b));
  const settings: RepoBuildSettings = {
    secrets: [],
    attestations: repo.attestations,
    title: repo.fullName,
    ...(repo.buildTimeoutMs ? { timeoutMs: repo.buildTimeoutMs } : {}),
  };
  const pullRequest = origin.triggerRef?.startsWith('pr:') ?? false;
  // No cache poisoning: code the maintainers have not merged reads the shared cache, never writes it.
  if (repo.layerCache ?? deps.layerCache ?? false) settings.cache = { scope: repo.id, write: !pullRequest };
  if (sealed.length === 0 || (pullRequest && !repo.pullRequestSecrets)) return settings;
  const ids = sealed.map(([id]) => id).join(', ');
  if (!deps.agentSecretKey) {
    throw new NotConfiguredError(
      `${repo.fullName} has build secrets (${ids}) but the API has no agent key to seal them with: set ARCHWAY_AGENT_SECRET_KEY (or ARCHWAY_AGENT_SECRET_KEY_FILE) to the key the agents hold; nothing was queued`,
    );
  }
  if (!deps.secretBox) throw new NotConfiguredError(`${repo.fullName} has build secrets but the API has no secret key to open them (ARCHWAY_SECRET_KEY)`);
  for (const [id, value] of sealed) {
    try {
      settings.secrets.push({ id, value: deps.secretBox.open(value, `build-secret:${id}`) });
    } catch (err) {
      if (!(err instanceof SecretBoxError)) throw err;
      throw new NotConfiguredError(`${repo.fullName}: build secret "${id}" cannot be opened (${err.message})`);
    }
  }
  return settings;
}

/** Seals every secret for one task: a payload copied into another task does not open. */
export function sealerFor(
  agentKey: Buffer | undefined,
  secrets: RepoBuildSettings['secrets'],
): ((taskId: string) => { id: string; sealed: string }[]) | undefined {
  if (secrets.length === 0 || !agentKey) return undefined;
  return (taskId) => secrets.map(({ id, value }) => ({ id, sealed: sealBuildSecret(agentKey, taskId, id, value) }));
}
