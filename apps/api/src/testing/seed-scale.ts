import type pg from 'pg';

/** What seedScale writes (100,000 builds by default: the size issue 18 asks the lists to stay fast at). */
/** The seeded builds' source: rows already there (a bench's own builds) are left alone. */
export const SEED_URL = 'https://git.example.com/acme/seeded.git';

export interface ScaleSeed {
  builds: number;
  repos: string[];
  /** One per seeded repository. */
  notifications: { id: string; repoId: string }[];
}

/**
 * A database of a busy installation, written in a few bulk INSERT … SELECT generate_series
 * statements (seconds, not minutes): `builds` builds over the last months, half of them of 20
 * registered repositories, mostly final, each with two tasks, one attempt and one phase per task;
 * 1,000 webhook deliveries per repository; one notification per repository with 1,000 deliveries;
 * 5,000 API tokens (revoked ones stay, so they accumulate). Then ANALYZE, so the planner sees the sizes.
 */
export async function seedScale(db: pg.Client, builds = 100_000): Promise<ScaleSeed> {
  const repos = await db.query<{ id: string }>(`
    INSERT INTO "Repo" (id, "fullName", provider, "cloneUrl", platforms, "webhookSecret", "updatedAt")
    SELECT gen_random_uuid(), 'seed/app-' || i, 'github', 'https://git.example.com/acme/app-' || i || '.git',
           ARRAY['linux/amd64', 'linux/arm64'], 'sealed', now()
      FROM generate_series(1, 20) i
    RETURNING id`);
  await db.query(
    `
    INSERT INTO "Build" (id, status, "sourceUrl", ref, commit, platforms, tags, push, trigger, "createdAt", "finishedAt", "repoId", "triggerRef")
    SELECT gen_random_uuid(),
           (CASE WHEN i % 2000 = 0 THEN 'queued' WHEN i % 2000 = 1 THEN 'running' WHEN i % 10 = 0 THEN 'failed' ELSE 'succeeded' END)::"BuildStatus",
           '${SEED_URL}',
           CASE WHEN i % 3 = 0 THEN 'main' ELSE 'feature-' || (i % 997) END,
           md5(i::text) || substr(md5(i::text), 1, 8),
           ARRAY['linux/amd64', 'linux/arm64'], ARRAY[]::text[], false,
           CASE WHEN i % 2 = 0 THEN 'webhook' ELSE 'api' END,
           now() - make_interval(secs => i * 60),
           now() - make_interval(secs => i * 60 - 30),
           CASE WHEN i % 2 = 0 THEN ($2::uuid[])[1 + (i / 2) % 20] END,
           CASE WHEN i % 2 = 0 THEN 'branch:' || CASE WHEN i % 3 = 0 THEN 'main' ELSE 'feature-' || (i % 997) END END
      FROM generate_series(1, $1::int) i`,
    [builds, repos.rows.map((r) => r.id)],
  );
  await db.query(`
    INSERT INTO "Task" (id, "buildId", platform, status, attempts, "startedAt", "finishedAt")
    SELECT gen_random_uuid(), b.id, p,
           (CASE b.status WHEN 'succeeded' THEN 'built' WHEN 'failed' THEN 'failed' WHEN 'running' THEN 'running' ELSE 'queued' END)::"TaskStatus",
           1, b."createdAt", b."finishedAt"
      FROM "Build" b CROSS JOIN unnest(ARRAY['linux/amd64', 'linux/arm64']) p
     WHERE b."sourceUrl" = '${SEED_URL}'`);
  await db.query(`
    INSERT INTO "TaskAttempt" (id, "taskId", attempt, agent, "startedAt", "endedAt", outcome)
    SELECT gen_random_uuid(), t.id, 1, 'agent-' || t.platform, t."startedAt", t."finishedAt", 'built'::"AttemptOutcome"
      FROM "Task" t JOIN "Build" b ON b.id = t."buildId" WHERE b."sourceUrl" = '${SEED_URL}'`);
  await db.query(`
    INSERT INTO "Phase" (id, "buildId", "taskId", attempt, name, kind, "startedAt", "endedAt", "durationMs")
    SELECT gen_random_uuid(), t."buildId", t.id, 1, n, n, t."startedAt", t."finishedAt", 1000
      FROM "Task" t JOIN "Build" b ON b.id = t."buildId" CROSS JOIN unnest(ARRAY['export']) n
     WHERE b."sourceUrl" = '${SEED_URL}'`);
  await db.query(`
    INSERT INTO "WebhookDelivery" (id, source, "deliveryId", event, "repoId", result, "createdAt", "updatedAt")
    SELECT gen_random_uuid(), 'github', 'delivery-' || r.id || '-' || i, 'push', r.id, 'queued'::"DeliveryResult",
           now() - make_interval(secs => i * 60), now()
      FROM "Repo" r CROSS JOIN generate_series(1, 1000) i`);
  const notifications = await db.query<{ id: string; repoId: string }>(
    `
    INSERT INTO "Notification" (id, "repoId", url, events, secret, "updatedAt")
    SELECT gen_random_uuid(), r, 'https://hooks.example.com/' || r, ARRAY['build.failed'], 'sealed', now() FROM unnest($1::uuid[]) r
    RETURNING id, "repoId"`,
    [repos.rows.map((r) => r.id)],
  );
  await db.query(
    `
    INSERT INTO "NotificationDelivery" (id, "notificationId", event, "buildId", status, attempts, "createdAt", "updatedAt")
    SELECT gen_random_uuid(), n, 'build.failed', gen_random_uuid(), 'delivered', 1, now() - make_interval(secs => i * 60), now()
      FROM unnest($1::uuid[]) n CROSS JOIN generate_series(1, 1000) i`,
    [notifications.rows.map((n) => n.id)],
  );
  await db.query(`
    INSERT INTO "ApiToken" (id, name, hash, scopes, "createdAt")
    SELECT gen_random_uuid(), 'ci-' || i, md5('token' || i), ARRAY['build'], now() - make_interval(secs => i)
      FROM generate_series(1, 5000) i`);
  await db.query('ANALYZE');
  return { builds, repos: repos.rows.map((r) => r.id), notifications: notifications.rows };
}
