import { z } from 'zod';
import { CreatedBuild, PageQuery, PlatformList, pageOf } from './api.ts';
import { RepoPath } from './paths.ts';
import { readDuration } from './units.ts';
import { Platform } from './platform.ts';
import { DeliveryResult } from './statuses.ts';
import { ImageNameString, ImagePrefixString, PushTargets } from './reference.ts';

/**
 * Registered forge repositories, their webhook deliveries and API tokens: the request and answer
 * shapes of /api/v1/repos, /api/v1/tokens and /hooks/*.
 */
export const RepoProvider = z.enum(['github', 'forgejo', 'gitea', 'gitlab']);
export type RepoProvider = z.infer<typeof RepoProvider>;

/** `owner/name`; GitLab projects may sit in subgroups (`group/subgroup/name`), see RepoCreate. */
export const RepoFullName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){1,20}$/, 'must be "owner/name" (letters, digits, "_", "." and "-")')
  .max(255);

const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const BuildArgs = z.record(z.string().regex(BUILD_ARG_NAME, 'build arg names are letters, digits and _'), z.string().max(65536));

/** Which image tags a push produces (see apps/api/src/tag-rules). */
export const TagRules = z
  .object({
    /** A push to the default branch tags `latest`. */
    defaultBranchLatest: z.boolean().default(true),
    /** A push to the default branch tags `sha-<7 hex>`. */
    defaultBranchSha: z.boolean().default(true),
    /** A push to any other branch tags the sanitised branch name (`feature/x` → `feature-x`). */
    branches: z.boolean().default(true),
    /** A tag `v1.2.3` (or `1.2.3`) tags `1.2.3`, `1.2` and `1`; pre-releases only their own version. */
    semver: z.boolean().default(true),
    /** When a release also moves `latest`: only the highest version of the repository, always, or never. */
    semverLatest: z.enum(['highest', 'always', 'never']).default('highest'),
    /** A git tag that is not a version tags its sanitised name. */
    otherTags: z.boolean().default(true),
  })
  .strict();
export type TagRules = z.infer<typeof TagRules>;
export type TagRulesInput = z.input<typeof TagRules>;

/** A change to some rules: only the fields given change (no defaults filled in). */
export const TagRulesPatch = z
  .object({
    defaultBranchLatest: z.boolean().optional(),
    defaultBranchSha: z.boolean().optional(),
    branches: z.boolean().optional(),
    semver: z.boolean().optional(),
    semverLatest: z.enum(['highest', 'always', 'never']).optional(),
    otherTags: z.boolean().optional(),
  })
  .strict();
export type TagRulesPatch = z.infer<typeof TagRulesPatch>;

export const CancelSuperseded = z
  .object({
    /** A new push to a branch cancels the branch's queued or running build. */
    branches: z.boolean().default(false),
    /** A new push to a pull request cancels the PR's queued or running build. */
    pullRequests: z.boolean().default(true),
  })
  .strict();
export type CancelSuperseded = z.infer<typeof CancelSuperseded>;

/** Build secret ids, as `RUN --mount=type=secret,id=<id>` names them. */
export const BUILD_SECRET_ID_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const BuildSecretId = z.string().regex(BUILD_SECRET_ID_RE, 'secret ids are 1-64 letters, digits, "_", "." or "-"');
const BuildSecretValue = z.string().min(1, 'a secret value must not be empty').max(65536, 'a secret value must be at most 64 KiB');
const MAX_BUILD_SECRETS = 50;

/** A repository's build time limit in the one duration grammar (units.ts): `30m`, `1h30m`, `1.5h`, `90s`. */
export const BuildTimeout = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => readDuration(v).ok, 'must be a duration like "30m", "1h30m", "1.5h" or "90s"');

export const BranchName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\s\0~^:?*[\\]+$/, 'invalid branch name');
export const HttpUrl = z
  .string()
  .max(2048)
  .refine((v) => /^https?:\/\/[^\s]+$/.test(v), 'must be an http:// or https:// URL');

export const RepoCreate = z
  .object({
    fullName: RepoFullName,
    provider: RepoProvider,
    cloneUrl: z.string().min(1, 'cloneUrl is required').max(2048),
    defaultBranch: BranchName.default('main'),
    /** REST API base of the forge, e.g. https://codeberg.org/api/v1; default: from the provider and clone URL. */
    apiUrl: HttpUrl.optional(),
    /** Image repository the builds push to; without it, builds push nothing. */
    image: ImageNameString.optional(),
    /** Extra destinations of the image: `harbor.internal/team` also publishes `harbor.internal/team/<name>`. */
    pushTargets: PushTargets.default([]),
    containerfile: RepoPath.optional(),
    context: RepoPath.default('.'),
    platforms: PlatformList,
    buildArgs: BuildArgs.default({}),
    tagRules: TagRules.prefault({}),
    cancelSuperseded: CancelSuperseded.prefault({}),
    /** The webhook's shared secret; generated when absent. Shown once. */
    webhookSecret: z.string().min(16, 'webhookSecret must be at least 16 characters').max(256).optional(),
    /** Access token the forge accepts for commit statuses. Stored encrypted, never returned. */
    forgeToken: z.string().min(1).max(4096).optional(),
    /** Build secrets (id → value) for `RUN --mount=type=secret,id=<id>`. Stored encrypted, never returned (only the ids). */
    secrets: z
      .record(BuildSecretId, BuildSecretValue)
      .refine((m) => Object.keys(m).length <= MAX_BUILD_SECRETS, `at most ${MAX_BUILD_SECRETS} secrets`)
      .optional(),
    /** Build time limit, e.g. `30m`; default: the agents' (60 min). */
    buildTimeout: BuildTimeout.optional(),
    /** How long a task may wait for an agent before it fails (`queue-wait`), e.g. `15m`; default: ARCHWAY_QUEUE_WAIT_LIMIT. */
    queueWaitLimit: BuildTimeout.optional(),
    /** Pull request builds get the secrets too (they run the PR's Containerfile); default false. */
    pullRequestSecrets: z.boolean().default(false),
    /** Pull requests from forks and first-time contributors wait for approval; default true. */
    requireApproval: z.boolean().default(true),
    /** The layer cache shared by agents; absent/null: the server's default (ARCHWAY_LAYER_CACHE). */
    layerCache: z.boolean().nullable().optional(),
    /** Rebuild each branch's latest commit when a base image its last build used changes; default false. */
    rebuildOnBaseChange: z.boolean().default(false),
    /** Provenance and SBOM attestation manifests in each published index (docs/supply-chain.md); default true. */
    attestations: z.boolean().default(true),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.provider !== 'gitlab' && r.fullName.split('/').length !== 2) {
      ctx.addIssue({ code: 'custom', path: ['fullName'], message: 'must be "owner/name" (only GitLab projects sit in subgroups)' });
    }
    if (new Set(r.platforms).size !== r.platforms.length) {
      ctx.addIssue({ code: 'custom', path: ['platforms'], message: 'platforms must not repeat' });
    }
  });
export type RepoCreate = z.infer<typeof RepoCreate>;
export type RepoCreateInput = z.input<typeof RepoCreate>;

export const RepoUpdate = z
  .object({
    cloneUrl: z.string().min(1).max(2048).optional(),
    defaultBranch: BranchName.optional(),
    apiUrl: HttpUrl.nullable().optional(),
    image: ImageNameString.nullable().optional(),
    pushTargets: PushTargets.optional(),
    containerfile: RepoPath.nullable().optional(),
    context: RepoPath.optional(),
    platforms: z.array(Platform).min(1).max(16).optional(),
    buildArgs: BuildArgs.optional(),
    tagRules: TagRulesPatch.optional(),
    cancelSuperseded: z.object({ branches: z.boolean().optional(), pullRequests: z.boolean().optional() }).strict().optional(),
    webhookSecret: z.string().min(16, 'webhookSecret must be at least 16 characters').max(256).optional(),
    /** true: generate a new webhook secret (returned once in the answer). */
    rotateWebhookSecret: z.boolean().optional(),
    /** null removes the token. */
    forgeToken: z.string().min(1).max(4096).nullable().optional(),
    /** Sets the given secrets (id → value) and removes those given as null; other ids stay. */
    secrets: z
      .record(BuildSecretId, BuildSecretValue.nullable())
      .refine((m) => Object.keys(m).length <= MAX_BUILD_SECRETS, `at most ${MAX_BUILD_SECRETS} secrets`)
      .optional(),
    /** null: back to the agents' default. */
    buildTimeout: BuildTimeout.nullable().optional(),
    /** null: back to ARCHWAY_QUEUE_WAIT_LIMIT. */
    queueWaitLimit: BuildTimeout.nullable().optional(),
    pullRequestSecrets: z.boolean().optional(),
    requireApproval: z.boolean().optional(),
    /** null: back to the server's default. */
    layerCache: z.boolean().nullable().optional(),
    rebuildOnBaseChange: z.boolean().optional(),
    attestations: z.boolean().optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.platforms && new Set(r.platforms).size !== r.platforms.length) {
      ctx.addIssue({ code: 'custom', path: ['platforms'], message: 'platforms must not repeat' });
    }
    if (r.webhookSecret && r.rotateWebhookSecret) {
      ctx.addIssue({ code: 'custom', path: ['rotateWebhookSecret'], message: 'give webhookSecret or rotateWebhookSecret, not both' });
    }
  });
export type RepoUpdate = z.infer<typeof RepoUpdate>;
/** A PATCH body as a client sends it (platforms in any spelling). */
export type RepoUpdateInput = z.input<typeof RepoUpdate>;

export const Repo = z.object({
  id: z.string(),
  fullName: z.string(),
  provider: RepoProvider,
  cloneUrl: z.string(),
  defaultBranch: z.string(),
  apiUrl: z.string().nullable(),
  image: z.string().nullable(),
  /** Extra destinations of the image (registry host + path each). */
  pushTargets: z.array(z.string()),
  containerfile: z.string().nullable(),
  context: z.string(),
  platforms: z.array(z.string()),
  buildArgs: z.record(z.string(), z.string()),
  tagRules: TagRules,
  cancelSuperseded: CancelSuperseded,
  hasForgeToken: z.boolean(),
  /** Ids of the repository's build secrets (the values are never returned). */
  secrets: z.array(z.string()),
  /** Whether pull request builds get the secrets. */
  pullRequestSecrets: z.boolean(),
  /** Whether pull requests from forks and first-time contributors wait for someone with the build scope to approve them. */
  requireApproval: z.boolean(),
  /** Whether published indexes carry provenance and SBOM attestation manifests. */
  attestations: z.boolean(),
  /** Build time limit (`30m`), null: the agents' default. */
  buildTimeout: z.string().nullable(),
  /** Shared layer cache on or off; null: the server's default (ARCHWAY_LAYER_CACHE). */
  layerCache: z.boolean().nullable(),
  /** Queue-wait limit of its tasks (`15m`), null: the API's ARCHWAY_QUEUE_WAIT_LIMIT. */
  queueWaitLimit: z.string().nullable(),
  /** Whether a changed base image rebuilds the branches (docs/schedules-and-notifications.md). */
  rebuildOnBaseChange: z.boolean(),
  /** Where to point the forge's webhook. */
  webhookUrl: z.string(),
  /** Only in the answer that created or rotated it. */
  webhookSecret: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Repo = z.infer<typeof Repo>;

export const RepoList = z.object({ items: z.array(Repo) });
export type RepoList = z.infer<typeof RepoList>;

export const RepoListQuery = z.object({ fullName: z.string().optional() });
export type RepoListQuery = z.infer<typeof RepoListQuery>;

/** POST /api/v1/repos/:id/builds: a branch, tag or full ref (default: the default branch). */
export const RepoBuildRequest = z
  .object({
    ref: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^\s\0~^:?*[\\]+$/, 'invalid git ref')
      .optional(),
    commit: z
      .string()
      .regex(/^[0-9a-f]{40}$/, 'must be a full hex commit id')
      .optional(),
  })
  .strict();
export type RepoBuildRequest = z.infer<typeof RepoBuildRequest>;

export const WebhookDelivery = z.object({
  id: z.string(),
  /** The endpoint it arrived at: `github`, `forgejo` or `gitlab`. */
  source: z.string(),
  deliveryId: z.string(),
  event: z.string(),
  action: z.string().nullable(),
  repoId: z.string().nullable(),
  result: DeliveryResult,
  message: z.string().nullable(),
  buildId: z.string().nullable(),
  /** How often the forge sent this delivery id. */
  attempts: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const WebhookDeliveryList = pageOf(WebhookDelivery);
export type WebhookDeliveryList = z.infer<typeof WebhookDeliveryList>;

/** What /hooks/* answer (2xx). */
export const HookResponse = z.object({
  delivery: z.string(),
  result: DeliveryResult,
  ignored: z.string().optional(),
  /** Why a push was not built (a skip marker, path or branch filters); the commit status says so too. */
  skipped: z.string().optional(),
  duplicate: z.boolean().optional(),
  build: z.object({ id: z.string(), url: z.string() }).optional(),
  message: z.string().optional(),
});
export type HookResponse = z.infer<typeof HookResponse>;

export const TokenScope = z.enum(['read', 'build', 'admin']);
export type TokenScope = z.infer<typeof TokenScope>;

export const TokenCreate = z
  .object({
    name: z.string().trim().min(1, 'name is required').max(100),
    scopes: z.array(TokenScope).min(1, 'give at least one scope: read, build or admin').max(3),
    /** Image names a build token may push to; absent or empty: anywhere the merger can push. */
    imagePrefixes: z.array(ImagePrefixString).max(32, 'at most 32 image prefixes').optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.imagePrefixes?.length && t.scopes.includes('admin')) {
      ctx.addIssue({
        code: 'custom',
        path: ['imagePrefixes'],
        message: 'imagePrefixes limits build tokens: an admin token can change repositories and tokens, so a limit would mean nothing',
      });
    }
  });
export type TokenCreate = z.infer<typeof TokenCreate>;

export const TokenInfo = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  /** Empty: no limit. */
  imagePrefixes: z.array(z.string()),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type TokenInfo = z.infer<typeof TokenInfo>;

/** The answer to creating a token: the only time its text is shown. */
export const TokenCreated = TokenInfo.extend({ token: z.string() });
export type TokenCreated = z.infer<typeof TokenCreated>;

/** `GET /api/v1/tokens`: newest first, revoked ones too, in pages. */
export const TokenListQuery = PageQuery;
export type TokenListQuery = z.infer<typeof TokenListQuery>;

export const TokenList = pageOf(TokenInfo);
export type TokenList = z.infer<typeof TokenList>;

/** `POST /api/v1/repos/:id/builds`: the created build, the builds it superseded, and why it failed at once (if it did). */
export const RepoBuildCreated = CreatedBuild.extend({ canceled: z.array(z.string()), error: z.string().nullable() });
export type RepoBuildCreated = z.infer<typeof RepoBuildCreated>;

/** `GET /api/v1/repos/:id/deliveries`: newest first, in pages. */
export const DeliveryListQuery = PageQuery;
