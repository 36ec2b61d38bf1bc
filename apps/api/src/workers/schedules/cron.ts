import { CronExpressionParser } from 'cron-parser';
import { isTimeZone } from '@archway/contract';
import { BadRequestError } from '../../infra/errors.ts';

/**
 * The one reading of a schedule's expression: BullMQ's own parser (cron-parser), so what the API
 * accepts is exactly what the job scheduler will run. Throws a 400 naming the field.
 */
export function checkCron(cron: string, timezone: string): void {
  if (!isTimeZone(timezone)) throw new BadRequestError(`timezone: unknown time zone "${timezone}" (use an IANA name such as UTC or Europe/Berlin)`, 'timezone');
  try {
    CronExpressionParser.parse(cron, { tz: timezone }).next();
  } catch (err) {
    throw new BadRequestError(`cron: "${cron}" is not a valid cron expression: ${(err as Error).message}`, 'cron');
  }
}

/** When the expression next fires after `from`; undefined when it never does. */
export function nextRun(cron: string, timezone: string, from = new Date()): Date | undefined {
  try {
    return CronExpressionParser.parse(cron, { tz: timezone, currentDate: from }).next().toDate();
  } catch {
    return undefined;
  }
}
