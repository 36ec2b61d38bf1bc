/**
 * Which failures mean "a backing service is down" rather than "a bug": the error handler answers
 * them 503 with the reason instead of 500, so clients and load balancers retry later and the
 * operator reads which service to look at.
 */

/** Prisma's codes for an unreachable or overloaded server (P1xxx connection, P2024 pool timeout). */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1011', 'P1017', 'P2024']);
/** The node-postgres driver adapter's kinds for the same (`meta.driverAdapterError.cause.kind`). */
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError']);
/** What ioredis rejects with when the connection is down (fail-fast clients: no offline queue, one retry). */
const REDIS_MESSAGES = [
  /^Stream isn't writeable and enableOfflineQueue options is false/,
  /^Connection is closed\.?$/,
  /^Command timed out$/,
  /^Reached the max retries per request limit/,
];

export interface Unavailable {
  service: 'database' | 'redis';
  message: string;
}

export function unavailable(err: unknown): Unavailable | undefined {
  for (
    let e = err as Record<string, unknown> | undefined, depth = 0;
    e && typeof e === 'object' && depth < 5;
    e = e.cause as Record<string, unknown> | undefined, depth++
  ) {
    const found = database(e) ?? redis(e);
    if (found) return found;
  }
  return undefined;
}

/** node-postgres's socket failures, named as the driver adapter names them (sql.ts's statements). */
const SOCKET_KINDS: Record<string, string> = {
  ECONNREFUSED: 'DatabaseNotReachable',
  ENOTFOUND: 'DatabaseNotReachable',
  ECONNRESET: 'ConnectionClosed',
  ETIMEDOUT: 'SocketTimeout',
};
/** What node-postgres's pool says when a connection dies or cannot be had in time. */
const POOL_MESSAGES = [/^Connection terminated/, /^timeout exceeded when trying to connect$/];

const databaseDown = (why: string): Unavailable => ({ service: 'database', message: `the database is unreachable (${why}); try again once Postgres is back` });

function database(e: Record<string, unknown>): Unavailable | undefined {
  const name = String(e.name ?? e.constructor?.name ?? '');
  if (name === 'SqlError') return sqlStatement(e.cause as Record<string, unknown> | undefined);
  if (!name.startsWith('PrismaClient')) return undefined;
  const meta = e.meta as { driverAdapterError?: { cause?: { kind?: string; code?: string } } } | undefined;
  const cause = meta?.driverAdapterError?.cause;
  const pgClass = cause?.kind === 'postgres' && typeof cause.code === 'string' ? cause.code.slice(0, 2) : undefined;
  // 08: connection exception; 57: operator intervention (shutting down, starting up).
  if (
    name === 'PrismaClientInitializationError' ||
    PRISMA_CODES.has(String(e.code)) ||
    (cause?.kind !== undefined && ADAPTER_KINDS.has(cause.kind)) ||
    pgClass === '08' ||
    pgClass === '57'
  ) {
    return databaseDown(cause?.kind && cause.kind !== 'postgres' ? cause.kind : (cause?.code ?? String(e.code ?? 'no connection')));
  }
  return undefined;
}

/** A failed statement of sql.ts: node-postgres's error, judged as the adapter's are above. */
function sqlStatement(cause: Record<string, unknown> | undefined): Unavailable | undefined {
  const code = String(cause?.code ?? '');
  if (SOCKET_KINDS[code]) return databaseDown(SOCKET_KINDS[code]);
  // 08: connection exception; 57: operator intervention; 53300: too many connections.
  if (/^(08|57)/.test(code) || code === '53300') return databaseDown(code);
  if (POOL_MESSAGES.some((re) => re.test(String(cause?.message ?? '')))) return databaseDown('ConnectionClosed');
  return undefined;
}

function redis(e: Record<string, unknown>): Unavailable | undefined {
  const message = String(e.message ?? '');
  if (e.name === 'MaxRetriesPerRequestError' || REDIS_MESSAGES.some((re) => re.test(message))) {
    return { service: 'redis', message: `Redis (queues and live logs) is unreachable (${message.split('.')[0]}); try again once Redis is back` };
  }
  return undefined;
}
