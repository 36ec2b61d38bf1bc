import type { Redis } from 'ioredis';
import { redisKeys } from '@archway/contract';

const cancelChannel = (prefix: string) => redisKeys(prefix).cancel;

/**
 * Running tasks and their AbortControllers, plus the subscription that aborts them. The canceled
 * set is checked separately before a task starts, so a cancel published before the task was
 * registered is not lost.
 */
export class CancelWatcher {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly subscriber: Redis,
    private readonly prefix: string,
    private readonly onCancel: (taskId: string, running: boolean) => void,
    /** Called when a task starts or ends (the heartbeat refreshes at once). */
    private readonly onChange: () => void = () => {},
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, taskId: string) => {
      if (channel !== cancelChannel(this.prefix)) return;
      const controller = this.running.get(taskId);
      this.onCancel(taskId, !!controller);
      controller?.abort('canceled');
    });
    await this.subscriber.subscribe(cancelChannel(this.prefix));
  }

  register(taskId: string): AbortController {
    const controller = new AbortController();
    this.running.set(taskId, controller);
    this.onChange();
    return controller;
  }

  unregister(taskId: string): void {
    this.running.delete(taskId);
    this.onChange();
  }

  taskIds(): string[] {
    return [...this.running.keys()];
  }

  /** Aborts every running task with `reason` (forced shutdown). */
  abortAll(reason: string): void {
    for (const c of this.running.values()) c.abort(reason);
  }

  async stop(): Promise<void> {
    await this.subscriber.unsubscribe(cancelChannel(this.prefix)).catch(() => {});
  }
}
