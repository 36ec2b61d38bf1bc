import { request } from 'node:http';
import { createParser } from 'eventsource-parser';

export interface FollowResult {
  /** ms from each line's own timestamp to its arrival here. */
  latencies: number[];
  /** Distinct lines received. */
  seqs: number;
  /** Every line arrived once, in order (seq 1, 2, 3, …). */
  inOrder: boolean;
}

/** Wall clock with sub-millisecond resolution (same clock as ash's $EPOCHREALTIME). */
const nowMs = () => performance.timeOrigin + performance.now();

/**
 * One SSE client of a task's live log until `event: end`. Lines matching `lineRe` (group 1: seq,
 * group 2: epoch seconds with µs) are timed on arrival: one clock read per network chunk, so 50
 * clients in this process cost little next to the API's work.
 */
export function followLog(url: string, token: string, lineRe: RegExp): Promise<FollowResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let expect = 1;
    let inOrder = true;
    let seqs = 0;
    const req = request(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`log stream answered ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      let at = 0;
      let ended = false;
      const parser = createParser({
        onEvent: ({ event, data }) => {
          if (ended) return;
          if (event === 'end') {
            ended = true;
            req.destroy();
            resolve({ latencies, seqs, inOrder });
            return;
          }
          const m = event === 'line' ? lineRe.exec(data) : null;
          if (!m) return;
          const seq = Number(m[1]);
          if (seq !== expect) inOrder = false;
          expect = seq + 1;
          seqs++;
          latencies.push(at - Number(m[2]) * 1000);
        },
      });
      res.on('data', (chunk: string) => {
        at = nowMs();
        parser.feed(chunk);
      });
      res.on('end', () => resolve({ latencies, seqs, inOrder }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
