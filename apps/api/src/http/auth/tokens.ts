import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient } from '../../infra/db.ts';
import { sqlOf } from '../../infra/sql.ts';

export const SCOPES = ['read', 'build', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Scopes nest: admin ⊇ build ⊇ read (a CI token that starts builds may also watch them). */
const IMPLIED: Record<Scope, Scope[]> = { read: ['read'], build: ['build', 'read'], admin: ['admin', 'build', 'read'] };

export function hasScope(granted: readonly string[], needed: Scope): boolean {
  return granted.some((s) => (IMPLIED as Record<string, Scope[] | undefined>)[s]?.includes(needed));
}

/** Tokens are stored as the sha256 hex of their text; the text itself is shown once. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateToken(): string {
  return `arch_${randomBytes(32).toString('base64url')}`;
}

export interface CreatedToken {
  id: string;
  token: string;
}

export async function createToken(
  prisma: PrismaClient,
  name: string,
  scopes: Scope[],
  token = generateToken(),
  imagePrefixes: string[] = [],
): Promise<CreatedToken> {
  const row = await prisma.apiToken.create({ data: { name, hash: hashToken(token), scopes, imagePrefixes } });
  return { id: row.id, token };
}

export interface TokenIdentity {
  id: string;
  name: string;
  scopes: string[];
  /** Image names this token's builds may push to; empty or absent: no limit. */
  imagePrefixes?: string[];
}

const LAST_USED_RESOLUTION_MS = 60_000;

interface LiveToken {
  id: string;
  name: string;
  scopes: string[];
  imagePrefixes: string[];
  /** lastUsedAt is unset or older than LAST_USED_RESOLUTION_MS (by the database's clock; the column holds UTC, as Prisma writes it). */
  stale: boolean;
}

/**
 * Finds the live token for a presented secret. The lookup is by hash, so its timing says nothing
 * about how close a guess was; unknown and revoked tokens take the same path and answer. Every
 * API request runs it, so it is plain SQL (infra/sql.ts).
 */
export async function lookupToken(prisma: PrismaClient, presented: string): Promise<TokenIdentity | null> {
  const sql = sqlOf(prisma);
  const [row] = await sql.query<LiveToken>(
    `SELECT id::text, name, scopes, "imagePrefixes",
       ("lastUsedAt" IS NULL OR "lastUsedAt" < (now() AT TIME ZONE 'UTC') - make_interval(secs => $2)) AS stale
     FROM "ApiToken" WHERE hash = $1 AND "revokedAt" IS NULL`,
    [hashToken(presented), LAST_USED_RESOLUTION_MS / 1000],
  );
  if (!row) return null;
  if (row.stale) {
    // Best effort and off the request path: at most one write per token per minute, stamped by the
    // same clock that judged it stale.
    sql.query(`UPDATE "ApiToken" SET "lastUsedAt" = now() AT TIME ZONE 'UTC' WHERE id = $1::uuid`, [row.id]).catch(() => {});
  }
  return { id: row.id, name: row.name, scopes: row.scopes, imagePrefixes: row.imagePrefixes ?? [] };
}
