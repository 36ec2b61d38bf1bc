import { FlowProducer, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * The API's BullMQ handles: one FlowProducer to enqueue builds and a Queue per name (for counts,
 * cancel), all on the shared fail-fast connection and under the configured prefix.
 */
export interface Queues {
  readonly prefix: string;
  readonly flow: FlowProducer;
  queue(name: string): Queue;
  close(): Promise<void>;
}

export function createQueues(connection: Redis, prefix: string): Queues {
  const flow = new FlowProducer({ connection, prefix });
  flow.on('error', () => {}); // a failing add() rejects; the event would only duplicate it
  const queues = new Map<string, Queue>();
  return {
    prefix,
    flow,
    queue(name) {
      let q = queues.get(name);
      if (!q) {
        q = new Queue(name, { connection, prefix, skipMetasUpdate: true });
        q.on('error', () => {});
        queues.set(name, q);
      }
      return q;
    },
    async close() {
      await Promise.allSettled([flow.close(), ...[...queues.values()].map((q) => q.close())]);
    },
  };
}
