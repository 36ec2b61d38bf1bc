import { z } from 'zod';
import { BranchName } from './repos.ts';

/**
 * Cron schedules of a repository's branches: the shapes of /api/v1/repos/:id/schedules. The API
 * checks the expression itself with BullMQ's cron parser (a 400 names what is wrong); here only
 * its outline, so the dashboard can say so before sending.
 */

/** Five fields (minute hour day-of-month month day-of-week), or six with seconds first. */
export const CronExpression = z
  .string()
  .trim()
  .max(200)
  .refine((v) => {
    const n = v.split(/\s+/).length;
    return n === 5 || n === 6;
  }, 'a cron expression has 5 fields (minute hour day month weekday) or 6 (seconds first), e.g. "0 3 * * *"');

/** Whether the runtime knows this IANA time zone (browsers and Node share the ICU list). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** An IANA time zone, always given: a schedule's `0 3 * * *` means 03:00 somewhere in particular. */
export const TimeZoneName = z
  .string()
  .trim()
  .min(1, 'timezone is required, e.g. "UTC" or "Europe/Berlin"')
  .max(64)
  .refine(isTimeZone, 'unknown time zone: use an IANA name such as "UTC", "Europe/Berlin" or "America/New_York"');

export const ScheduleCreate = z
  .object({
    branch: BranchName,
    cron: CronExpression,
    timezone: TimeZoneName,
    enabled: z.boolean().default(true),
  })
  .strict();
export type ScheduleCreate = z.infer<typeof ScheduleCreate>;
export type ScheduleCreateInput = z.input<typeof ScheduleCreate>;

export const ScheduleUpdate = z
  .object({ branch: BranchName.optional(), cron: CronExpression.optional(), timezone: TimeZoneName.optional(), enabled: z.boolean().optional() })
  .strict();
export type ScheduleUpdate = z.infer<typeof ScheduleUpdate>;

/** What a schedule's last run did: queued a build, skipped (the previous one still open) or failed to start one. */
export const ScheduleRunResult = z.enum(['queued', 'skipped', 'error']);
export type ScheduleRunResult = z.infer<typeof ScheduleRunResult>;

export const Schedule = z.object({
  id: z.string(),
  repoId: z.string(),
  branch: z.string(),
  cron: z.string(),
  timezone: z.string(),
  enabled: z.boolean(),
  /** When it next runs; null when disabled. */
  nextRunAt: z.string().nullable(),
  lastRunAt: z.string().nullable(),
  lastResult: ScheduleRunResult.nullable(),
  /** Why it was skipped or failed, or what it queued. */
  lastMessage: z.string().nullable(),
  lastBuildId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Schedule = z.infer<typeof Schedule>;

export const ScheduleList = z.object({ items: z.array(Schedule) });
export type ScheduleList = z.infer<typeof ScheduleList>;
