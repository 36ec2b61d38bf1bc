import { inject } from 'vitest';
import { createTestDatabase } from '../support/db.ts';
import { testPrefix } from '../support/redis.ts';
import { startStack, type Stack } from './stack.ts';

/** startStack on the suite's services (test/global-setup.ts): a fresh database and key prefix of its own. */
export async function startSuiteStack(root: string, agents: string[], env: Record<string, string> = {}): Promise<Stack> {
  return startStack({
    root,
    databaseUrl: await createTestDatabase(),
    redisUrl: inject('redisUrl'),
    prefix: testPrefix(),
    registryHost: inject('registryHost'),
    agents,
    env,
  });
}
