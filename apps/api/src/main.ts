import { checkRedisForQueues, configProblems, ConfigError, createLogger, createObjectStore, exitOnConfigError } from '@archway/runtime';
import { buildApp, type AppDeps } from './app.ts';
import { startSchedules } from './workers/schedules/scheduler.ts';
import { startBaseWatch } from './workers/base-watch/index.ts';
import { startNotifier } from './workers/notifications/index.ts';
import { ensureAdminToken } from './http/auth/admin-token.ts';
import { createPrisma } from './infra/db.ts';
import { apiConfig, loadConfig } from './infra/env.ts';
import { loadReconcilePolicy, startReconciler } from './workers/reconciler/index.ts';
import { redactUrl } from '@archway/runtime';
import { createQueues } from './infra/queue/queues.ts';
import { createRedis, redisReady } from './infra/queue/redis.ts';
import { startRecorder } from './workers/recorder/recorder.ts';
import { startResolver } from './workers/resolver/index.ts';
import { createSecretBox } from './infra/secrets/secret-box.ts';
import { loadSecretKey } from './infra/secrets/secret-key.ts';
import { changesStatus, startStatusReporter } from './workers/statuses/reporter.ts';
import { loadRetentionPolicy, startRetention } from './workers/retention/index.ts';
import { startTracing } from '@archway/runtime/tracing';
import { createApiMetrics } from './metrics/api-metrics.ts';

/**
 * The API process: configuration from the environment (apps/api/ENV.md), Postgres, Redis, the
 * recorder, then HTTP. SIGTERM/SIGINT: stop accepting, finish the recorder's current event, close
 * Redis and Postgres. Migrations are applied by the caller (`npm run migrate`, or the embedded
 * supervisor) before this starts.
 */
async function main(): Promise<void> {
  // What a restart cannot fix exits 2 (the embedded supervisor and Kubernetes' logs then show it
  // once, instead of a restart loop): any variable, the object store URL, the retention policy, the
  // secret key.
  const configured = async <T>(load: () => T | Promise<T>, variable: string): Promise<T> => {
    try {
      return await load();
    } catch (err) {
      exitOnConfigError(err instanceof ConfigError ? err : new ConfigError(apiConfig.process, configProblems(err, variable), apiConfig.docs));
      throw err;
    }
  };
  const config = await configured(() => loadConfig(), 'API');
  const objectStore = await configured(() => createObjectStore(config.objectStore), 'ARCHWAY_OBJECT_STORE');
  const retentionPolicy = await configured(() => loadRetentionPolicy(), 'ARCHWAY_RETAIN_*');
  const reconcilePolicy = await configured(() => loadReconcilePolicy(), 'ARCHWAY_RECONCILE_*');
  // Webhook secrets and forge tokens are stored sealed with this key (ARCHWAY_SECRET_KEY[_FILE]).
  const secretKey = await configured(() => loadSecretKey({ dataDir: config.dataDir }), 'ARCHWAY_SECRET_KEY');
  const logger = (component: string) => createLogger({ component, level: config.logLevel });
  // Off unless OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT is set (docs/observability.md).
  const tracing = startTracing('archway-api');
  const metrics = createApiMetrics();

  const prisma = createPrisma(config.databaseUrl);
  const redis = createRedis(config.redisUrl);
  redis.on('error', () => {}); // fail-fast client: failures surface per request (503) and in /readyz
  try {
    await redisReady(redis, 30_000);
  } catch (err) {
    throw new Error(`cannot reach Redis at ${redactUrl(config.redisUrl)}: ${(err as Error).message}`);
  }
  // maxmemory-policy noeviction, AOF (docs/redis.md): what a restart cannot fix exits 2.
  const redisWarnings: string[] = [];
  const redisCheck = await configured(() => checkRedisForQueues(redis, { warn: (m) => redisWarnings.push(m) }), 'REDIS_URL');
  const queues = createQueues(redis, config.queuePrefix);
  const secretBox = createSecretBox(secretKey.key);

  const deps: AppDeps = {
    prisma,
    redis,
    queues,
    prefix: config.queuePrefix,
    objectStore,
    publicUrl: config.publicUrl,
    bodyLimit: config.bodyLimit,
    secretBox,
    hookBodyLimit: config.hookBodyLimit,
    agentSecretKey: config.agentSecretKey,
    buildAttempts: config.buildAttempts,
    layerCache: config.layerCache,
    allowLocalSources: config.allowLocalSources,
    authFailureLimit: config.authFailureLimit,
    authFailureWindowMs: config.authFailureWindowMs,
    hookReplayWindowMs: config.hookReplayWindowMs,
    metrics,
  };
  const app = await buildApp(deps, { loggerInstance: logger('api'), trustProxy: config.trustProxy, tracing: tracing.enabled });
  const log = app.log;
  for (const warning of redisWarnings) log.warn(warning);
  if (redisCheck.policy) log.info({ maxmemoryPolicy: redisCheck.policy, aof: redisCheck.aof }, 'redis checked');

  try {
    await prisma.$queryRaw`SELECT 1`;
  } catch (err) {
    throw new Error(`cannot reach Postgres at ${redactUrl(config.databaseUrl)}: ${(err as Error).message}`);
  }
  const token = await ensureAdminToken(prisma, { dataDir: config.dataDir, token: config.adminToken });
  if (token && !config.adminToken) log.info(`admin token: see ${config.dataDir}/admin-token`);
  if (!token) log.info('admin token: not generated, admin tokens already exist');

  log.info({ source: secretKey.source }, 'secret key for stored forge secrets loaded');
  if (config.agentSecretKeySource) log.info({ source: config.agentSecretKeySource }, 'agent key for build secrets loaded');
  else log.info('no ARCHWAY_AGENT_SECRET_KEY: builds of repositories with build secrets are refused');
  // Before the recorder: every final event it applies also queues its commit status directly.
  const statuses = await startStatusReporter({
    prisma,
    redis,
    prefix: config.queuePrefix,
    publicUrl: config.publicUrl,
    secretBox,
    log: logger('statuses'),
    metrics,
  });
  // Outgoing webhooks of repositories (build results, published images), retried with backoff.
  const notifier = await startNotifier({
    prisma,
    redis,
    prefix: config.queuePrefix,
    publicUrl: config.publicUrl,
    secretBox,
    allowLocalSources: config.allowLocalSources,
    log: logger('notifications'),
  });
  const recorder = startRecorder({
    prisma,
    redis,
    prefix: config.queuePrefix,
    log: logger('recorder'),
    afterApply: async (e) => {
      if (!changesStatus(e)) return;
      await statuses.sync(e.buildId);
      await notifier.sync(e.buildId);
    },
  });
  // Accepted builds (`resolving`) → queued or failed: the git behind the requests.
  const resolver = startResolver(deps, {
    concurrency: config.resolveConcurrency,
    hostConcurrency: config.resolveHostConcurrency,
    log: logger('resolver'),
  });
  // Object-store retention (apps/api/src/workers/retention/ENV.md); a bad ARCHWAY_RETAIN_* stops the start.
  const retention = await startRetention({ prisma, store: objectStore, policy: retentionPolicy, redis, prefix: config.queuePrefix, log: logger('retention') });
  // Postgres vs Redis, server-side deadlines, lost agents (ARCHWAY_RECONCILE_* in apps/api/ENV.md).
  const reconciler = startReconciler({
    prisma,
    redis,
    queues,
    prefix: config.queuePrefix,
    policy: reconcilePolicy,
    publicUrl: config.publicUrl,
    log: logger('reconciler'),
    secretBox,
    agentSecretKey: config.agentSecretKey,
    buildAttempts: config.buildAttempts,
    layerCache: config.layerCache,
    metrics,
  });

  // Repository cron schedules: Postgres rows synced to BullMQ job schedulers at every start.
  const schedules = await startSchedules(deps, logger('schedules'));
  // Rebuilds when a base image changes (ARCHWAY_BASE_WATCH_INTERVAL, ARCHWAY_INSECURE_REGISTRIES).
  const baseWatch = await startBaseWatch(deps, {
    intervalMs: config.baseWatchIntervalMs,
    insecureRegistries: config.insecureRegistries,
    log: logger('base-watch'),
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took longer than 20 s; exiting');
      process.exit(1);
    }, 20_000);
    force.unref();
    await app.close().catch((err) => log.error({ err }, 'closing HTTP'));
    await resolver.close().catch((err) => log.error({ err }, 'closing the resolver'));
    await recorder.close().catch((err) => log.error({ err }, 'closing the recorder'));
    await statuses.close().catch((err) => log.error({ err }, 'closing the commit-status reporter'));
    await notifier.close().catch((err) => log.error({ err }, 'closing the notifier'));
    await retention.close();
    await reconciler.close();
    await schedules.close();
    await baseWatch.close();
    await queues.close();
    redis.disconnect();
    await prisma.$disconnect();
    await tracing.shutdown().catch(() => {});
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  await app.listen({ host: config.host, port: config.port });
  log.info({ publicUrl: config.publicUrl, redis: redactUrl(config.redisUrl), prefix: config.queuePrefix }, 'Archway API ready');
}

main().catch((err) => {
  process.stderr.write(`archway api: ${(err as Error).message}\n`);
  process.exit(1);
});
