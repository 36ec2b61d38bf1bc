import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '../../infra/db.ts';
import { HttpError } from '../../infra/errors.ts';
import type { Repo as RepoRow } from '../../generated/prisma/client.ts';
import { SecretBoxError, type SecretBox } from '../../infra/secrets/secret-box.ts';
import { UUID_RE } from '../builds/index.ts';

/** Stands in for the secret of a repository that does not exist, so that case costs one HMAC too. */
const DECOY_SECRET = randomBytes(32).toString('base64url');

/**
 * The repository a webhook URL names, if and only if the body's signature verifies with its
 * secret. An unknown id, a repository of another forge and a wrong signature all end in null
 * after the same work (one indexed lookup, one HMAC over the body, one constant-time compare), so
 * the answer says nothing about which repositories exist. The body is not parsed here.
 */
export async function verifiedRepo(
  prisma: PrismaClient,
  secretBox: SecretBox,
  providers: string[],
  repoId: string,
  verify: (secret: string) => boolean,
): Promise<RepoRow | null> {
  // A well-formed id is looked up even when it cannot match, to spend the same time as one that does.
  const lookupId = UUID_RE.test(repoId) ? repoId : '00000000-0000-0000-0000-000000000000';
  const repo = await prisma.repo.findFirst({ where: { id: lookupId, provider: { in: providers } } });
  let secret = DECOY_SECRET;
  if (repo) {
    try {
      secret = secretBox.open(repo.webhookSecret, 'webhook-secret');
    } catch (err) {
      // An operator problem (ARCHWAY_SECRET_KEY changed), named in the log; the answer names no repository.
      if (err instanceof SecretBoxError) throw new HttpError(500, 'secret_key_mismatch', `${err.message}: a webhook secret cannot be opened; see the API log`);
      throw err;
    }
  }
  const ok = verify(secret);
  return ok && repo ? repo : null;
}
