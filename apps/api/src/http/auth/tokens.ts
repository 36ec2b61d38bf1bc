import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient } from '../../infra/db.ts';

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

/**
 * Finds the live token for a presented secret. The lookup is by hash, so its timing says nothing
 * about how close a guess was; unknown and revoked tokens take the same path and answer.
 */
export async function lookupToken(prisma: PrismaClient, presented: string): Promise<TokenIdentity | null> {
  const row = await prisma.apiToken.findUnique({ where: { hash: hashToken(presented) } });
  if (!row || row.revokedAt) return null;
  const now = Date.now();
  if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    // Best effort and off the request path: at most one write per token per minute.
    prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } }).catch(() => {});
  }
  return { id: row.id, name: row.name, scopes: row.scopes, imagePrefixes: row.imagePrefixes ?? [] };
}
