import type { AgentConfig } from '../env.ts';
import { formatBytes, formatSize, resolveSize } from '@archway/contract';
import { diskSpace } from './space.ts';

/**
 * MIN_FREE_SPACE above STOP_FREE_SPACE, on this disk: loadConfig compares them when both are bytes
 * or both percentages; a mix (`2GB` and `5%`) only means something against the real disk.
 */
export async function checkWatermarks(config: AgentConfig): Promise<string | undefined> {
  const { total } = await diskSpace(config.dataDir);
  const min = resolveSize(config.minFreeSpace, total);
  const stop = resolveSize(config.stopFreeSpace, total);
  if (min > stop) return undefined;
  return `ARCHWAY_AGENT_MIN_FREE_SPACE (${formatSize(config.minFreeSpace)} = ${formatBytes(min)} here) must be more than ARCHWAY_AGENT_STOP_FREE_SPACE (${formatSize(config.stopFreeSpace)} = ${formatBytes(stop)} here): a task would be stopped as soon as it starts`;
}
