import { describe, expect, it } from 'vitest';
import { apiFixture } from '../../testing/fixture.ts';
import { sseReader } from '../../testing/sse-client.ts';
import { formatEvent } from './sse.ts';

describe('formatEvent', () => {
  it('writes id, event and one data line per line of the payload', () => {
    expect(formatEvent('line', 'hello', '1-0')).toBe('id: 1-0\nevent: line\ndata: hello\n\n');
    expect(formatEvent('line', 'a\nb\r\nc')).toBe('event: line\ndata: a\ndata: b\ndata: c\n\n');
  });
});

describe('closing the server', () => {
  it('ends open event streams instead of waiting for them forever', async () => {
    const f = await apiFixture({ heartbeatMs: 100 });
    try {
      const url = await f.app.listen({ host: '127.0.0.1', port: 0 });
      const res = await fetch(`${url}/api/v1/events`, { headers: f.auth });
      const r = sseReader(res.body!);
      await r.heartbeat();
      expect(f.app.sseStreams.size).toBe(1);
      await f.app.close();
      await r.ended(5000);
      expect(f.app.sseStreams.size).toBe(0);
    } finally {
      await f.close();
    }
  });
});
