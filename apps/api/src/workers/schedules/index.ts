// What the HTTP features use of schedules: checking an expression and mirroring a row into BullMQ.
export { checkCron, nextRun } from './cron.ts';
export { SCHEDULES_QUEUE, syncSchedule, unscheduleSchedule } from './queue.ts';
