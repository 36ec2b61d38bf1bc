import type { HookResponse } from '@archway/contract';
import { HttpError } from '../../infra/errors.ts';
import { type ApiMetrics, hookEventLabel } from '../../metrics/api-metrics.ts';

/**
 * Counts a verified delivery by forge, event and outcome: the answer's result (`duplicate` for a
 * repeated delivery id), `refused` for a 4xx (bad payload), `error` otherwise.
 */
export async function countDelivery<T extends { status: number; body: HookResponse }>(
  metrics: Pick<ApiMetrics, 'webhookDeliveries'> | undefined,
  forge: string,
  event: string | undefined,
  handle: () => Promise<T>,
): Promise<T> {
  const labels = { forge, event: hookEventLabel(event) };
  try {
    const answer = await handle();
    metrics?.webhookDeliveries.inc({ ...labels, outcome: answer.body.duplicate ? 'duplicate' : answer.body.result });
    return answer;
  } catch (err) {
    const refused = err instanceof HttpError && err.statusCode < 500;
    metrics?.webhookDeliveries.inc({ ...labels, outcome: refused ? 'refused' : 'error' });
    throw err;
  }
}
