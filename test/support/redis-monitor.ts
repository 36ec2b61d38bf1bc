import { connect } from 'node:net';
import { once } from 'node:events';
import { inject } from 'vitest';

/**
 * Every command the test Redis runs, as MONITOR reports it, on a plain socket of its own. Not
 * ioredis's monitor(): when another client's command arrives in the same read as MONITOR's +OK,
 * ioredis throws "Command queue state error" out of the test process (seen in a loaded full run).
 * Resolves once Redis has confirmed MONITOR, so no later command is missed.
 */
export async function redisMonitor(onCommand: (args: string[]) => void): Promise<{ close(): void }> {
  const url = new URL(inject('redisUrl'));
  const socket = connect(Number(url.port || 6379), url.hostname);
  await once(socket, 'connect');
  const auth = url.password ? `AUTH ${decodeURIComponent(url.password)}\r\n` : '';
  let oksToSkip = auth ? 2 : 1;
  let rest = '';
  let confirmed: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    confirmed = resolve;
  });
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\r\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (oksToSkip > 0 && line === '+OK') {
        if (--oksToSkip === 0) confirmed();
      } else if (line.startsWith('+')) {
        // +1700000000.123456 [0 127.0.0.1:5000] "cmd" "arg" …
        const quoted = line.slice(line.indexOf('] ') + 2);
        onCommand([...quoted.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1')));
      }
    }
  });
  socket.write(`${auth}MONITOR\r\n`);
  await ready;
  return { close: () => socket.destroy() };
}
