import { createHash } from 'node:crypto';
import type { BuildRequest } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import { prismaCode } from '../../infra/db.ts';
import { BadRequestError, ConflictError, UnprocessableError } from '../../infra/errors.ts';
import type { AcceptedRow } from './create.ts';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** How long a key answers with its build. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** A key still without a build after this long belongs to a request that died (API restart): it is taken over. */
const ABANDONED_MS = 5 * 60_000;
const KEY_RE = /^[\x21-\x7e]{1,255}$/;

/** The key of a request, if it sent one; a malformed one is a 400 before anything happens. */
export function idempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !KEY_RE.test(header)) {
    throw new BadRequestError('Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice), sent once', 'Idempotency-Key');
  }
  return header;
}

/** JSON with sorted keys: the same request is the same text whatever order its fields came in. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function requestHash(req: BuildRequest): string {
  return createHash('sha256').update(canonical(req)).digest('hex');
}

/**
 * Runs `create` once per (token, key) within 24 h. The first request claims the key with a unique
 * insert (so two retries racing each other cannot both build); a repeat with the same request
 * gets the same build back, one with another request 422, one while the first is still running
 * 409. When `create` fails nothing was built, so the key is released for a retry.
 */
export async function onceForKey(
  prisma: PrismaClient,
  tokenId: string,
  key: string,
  hash: string,
  create: () => Promise<AcceptedRow>,
): Promise<{ build: AcceptedRow; replayed: boolean }> {
  const now = Date.now();
  // Expired keys of everyone (indexed by createdAt), and an abandoned claim of this one.
  await prisma.idempotencyKey.deleteMany({ where: { createdAt: { lt: new Date(now - IDEMPOTENCY_TTL_MS) } } });
  await prisma.idempotencyKey.deleteMany({ where: { tokenId, key, buildId: null, createdAt: { lt: new Date(now - ABANDONED_MS) } } });
  let claimId: string;
  try {
    claimId = (await prisma.idempotencyKey.create({ data: { tokenId, key, requestHash: hash } })).id;
  } catch (err) {
    if (prismaCode(err) !== 'P2002') throw err;
    const held = await prisma.idempotencyKey.findUnique({ where: { tokenId_key: { tokenId, key } }, include: { build: true } });
    if (!held) throw new ConflictError('a request with this Idempotency-Key was just released: retry', 'Idempotency-Key');
    if (held.requestHash !== hash) {
      throw new UnprocessableError(
        `Idempotency-Key "${key}" was already used with a different request in the last 24 h: send the same request to get its build again, or a new key for a new build`,
        'Idempotency-Key',
      );
    }
    if (!held.build) throw new ConflictError('the first request with this Idempotency-Key is still being processed: retry in a few seconds', 'Idempotency-Key');
    return { build: held.build, replayed: true };
  }
  let build: AcceptedRow;
  try {
    build = await create();
  } catch (err) {
    await prisma.idempotencyKey.delete({ where: { id: claimId } }).catch(() => {});
    throw err;
  }
  await prisma.idempotencyKey.update({ where: { id: claimId }, data: { buildId: build.id } });
  return { build, replayed: false };
}
