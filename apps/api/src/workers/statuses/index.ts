// What the HTTP features use of the statuses worker: queueing a commit status to report.
export { enqueueSkipStatus, enqueueStatus, STATUS_QUEUE } from './queue.ts';
