import { z } from 'zod';
import * as field from '../config/fields.ts';

/** How often agents and the merger push their metrics to Redis for the API's /metrics; 0 turns pushing off. */
export const PushEnv = z.object({
  ARCHWAY_METRICS_PUSH_INTERVAL: field.duration({ fallback: '10s', max: 5 * 60_000 }),
});
