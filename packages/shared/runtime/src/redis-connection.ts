import { Redis, type RedisOptions } from 'ioredis';

/**
 * REDIS_URL, the same in every process: `redis://[user:password@]host:port[/db]`, `rediss://…`
 * (TLS), or a Redis Sentinel set, `redis+sentinel://[user:password@]host:port[,host:port…]/<master>[/db]`
 * (the password is the data nodes'; `?sentinelPassword=` if the sentinels have their own).
 * With Sentinel, ioredis asks the sentinels for the current primary and reconnects to the new one
 * after a failover; BullMQ's workers wait through the switch (they never fail a command).
 */
const SENTINEL = 'redis+sentinel://';

export interface SentinelSettings {
  sentinels: { host: string; port: number }[];
  name: string;
  db?: number;
  username?: string;
  password?: string;
  sentinelPassword?: string;
}

/** A problem with a REDIS_URL value, or undefined when it is usable. */
export function redisUrlProblem(url: string): string | undefined {
  if (/^rediss?:\/\//.test(url)) return undefined;
  if (!url.startsWith(SENTINEL)) return 'REDIS_URL must start with redis://, rediss:// or redis+sentinel://';
  try {
    parseSentinelUrl(url);
    return undefined;
  } catch (err) {
    return `REDIS_URL: ${(err as Error).message}`;
  }
}

export function parseSentinelUrl(url: string): SentinelSettings {
  const rest = url.slice(SENTINEL.length);
  const at = rest.lastIndexOf('@', rest.indexOf('/') === -1 ? rest.length : rest.indexOf('/'));
  const auth = at >= 0 ? rest.slice(0, at) : '';
  const [hostPart = '', ...pathParts] = rest
    .slice(at + 1)
    .split('?')[0]!
    .split('/');
  const query = new URLSearchParams(rest.includes('?') ? rest.slice(rest.indexOf('?') + 1) : '');
  const sentinels = hostPart.split(',').map((h) => {
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(h.trim());
    if (!m) throw new Error(`sentinel address "${h}" must be host:port`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  });
  const name = pathParts[0] ? decodeURIComponent(pathParts[0]) : '';
  if (!name) throw new Error('a Sentinel URL names the primary after the addresses: redis+sentinel://host:26379,host2:26379/mymaster');
  const settings: SentinelSettings = { sentinels, name };
  if (pathParts[1]) {
    const db = Number(pathParts[1]);
    if (!Number.isInteger(db) || db < 0) throw new Error(`database "${pathParts[1]}" must be a number`);
    settings.db = db;
  }
  if (auth) {
    const colon = auth.indexOf(':');
    const user = decodeURIComponent(colon >= 0 ? auth.slice(0, colon) : '');
    const password = decodeURIComponent(colon >= 0 ? auth.slice(colon + 1) : auth);
    if (user) settings.username = user;
    if (password) settings.password = password;
  }
  const sentinelPassword = query.get('sentinelPassword');
  if (sentinelPassword) settings.sentinelPassword = sentinelPassword;
  return settings;
}

/** A client for REDIS_URL (plain, TLS or Sentinel) with `opts` on top; every process connects through this. */
export function connectRedis(url: string, opts: RedisOptions = {}): Redis {
  if (!url.startsWith(SENTINEL)) return new Redis(url, opts);
  return new Redis({ ...parseSentinelUrl(url), ...opts });
}
