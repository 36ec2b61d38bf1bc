import { describe, expect, it } from 'vitest';
import { parseSentinelUrl, redisUrlProblem } from './redis-connection.ts';

describe('REDIS_URL', () => {
  it('accepts plain, TLS and Sentinel URLs', () => {
    expect(redisUrlProblem('redis://127.0.0.1:6379')).toBeUndefined();
    expect(redisUrlProblem('rediss://:pw@redis.example.com:6380/2')).toBeUndefined();
    expect(redisUrlProblem('redis+sentinel://s1:26379,s2:26379,s3:26379/archway')).toBeUndefined();
  });

  it('reads sentinels, the primary name, database and passwords', () => {
    expect(parseSentinelUrl('redis+sentinel://app:p%40ss@10.0.0.1:26379,[::1]:26380/main/3?sentinelPassword=sp')).toEqual({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'main',
      db: 3,
      username: 'app',
      password: 'p@ss',
      sentinelPassword: 'sp',
    });
  });

  it('says what is wrong', () => {
    expect(redisUrlProblem('http://x:1')).toBe('REDIS_URL must start with redis://, rediss:// or redis+sentinel://');
    expect(redisUrlProblem('redis+sentinel://s1:26379')).toMatch(/names the primary after the addresses/);
    expect(redisUrlProblem('redis+sentinel://s1/main')).toBe('REDIS_URL: sentinel address "s1" must be host:port');
    expect(redisUrlProblem('redis+sentinel://s1:1/main/x')).toBe('REDIS_URL: database "x" must be a number');
  });
});
