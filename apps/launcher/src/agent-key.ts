import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildSecretKey, writeKeyFile } from '@archway/runtime';

export const AGENT_KEY_FILE = 'agent-secret-key';

/**
 * The key the API and the embedded agent share for build secrets. Unless one is configured
 * (ARCHWAY_AGENT_SECRET_KEY[_FILE]), `<dataDir>/agent-secret-key` (0600) is generated once and
 * both get its path: the key never appears in a process environment or a command line.
 */
export async function embeddedAgentKeyEnv(
  env: { ARCHWAY_AGENT_SECRET_KEY?: string; ARCHWAY_AGENT_SECRET_KEY_FILE?: string },
  dataDir: string,
): Promise<{ env: Record<string, string>; generated: boolean }> {
  if (env.ARCHWAY_AGENT_SECRET_KEY || env.ARCHWAY_AGENT_SECRET_KEY_FILE) return { env: {}, generated: false };
  const path = join(dataDir, AGENT_KEY_FILE);
  let text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new Error(`cannot read the agent key file ${path}: ${err.message}`);
  });
  const generated = text === undefined;
  if (generated) {
    await writeKeyFile(dataDir, path, randomBytes(32).toString('base64'));
    text = await readFile(path, 'utf8');
  }
  buildSecretKey(text!, path); // a damaged file stops the start here, not at the first build
  return { env: { ARCHWAY_AGENT_SECRET_KEY_FILE: path }, generated };
}
