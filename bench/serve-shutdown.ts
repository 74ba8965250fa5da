/**
 * SIGTERM under load: 64 keep-alive connections send single-row requests; half-way the
 * server gets SIGTERM. autocannon cannot say when each request was sent, so this loop
 * records it: a request sent before the signal must answer 200 (accepted work finishes);
 * after the signal, 503 with Retry-After or a refused connection is the expected answer.
 */
import { Agent, request } from 'node:http';

export interface ShutdownResult {
  beforeSignal: number;
  beforeOk: number;
  /** Sent before the signal, reached the server after it: answered 503 (retryable), not failed. */
  before503: number;
  /** Sent before the signal and neither 200 nor 503: what must be zero. */
  beforeFailed: number;
  afterSignal: number;
  after503: number;
  afterRefused: number;
  exitCode: number | null;
  exitMs: number;
}

function post(agent: Agent, url: URL, body: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    req.end(body);
  });
}

export async function shutdownUnderLoad(
  url: string,
  body: string,
  connections: number,
  seconds: number,
  terminate: () => void,
  exited: Promise<number | null>,
): Promise<ShutdownResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const r: ShutdownResult = {
    beforeSignal: 0,
    beforeOk: 0,
    before503: 0,
    beforeFailed: 0,
    afterSignal: 0,
    after503: 0,
    afterRefused: 0,
    exitCode: null,
    exitMs: 0,
  };
  let signalAt = Number.POSITIVE_INFINITY;
  let stopped = false;
  const end = Date.now() + seconds * 1000;
  const loop = async () => {
    while (!stopped && Date.now() < end) {
      const sentAt = performance.now();
      const answer = await post(agent, target, body);
      if (sentAt < signalAt) {
        r.beforeSignal++;
        if (answer === 200) r.beforeOk++;
        else if (answer === 503) r.before503++;
        else r.beforeFailed++;
      } else {
        r.afterSignal++;
        if (answer === 503) r.after503++;
        else if (typeof answer === 'string') {
          r.afterRefused++;
          return; // the server is gone: stop this connection's loop
        }
      }
    }
  };
  const loops = Array.from({ length: connections }, loop);
  await new Promise((resolve) => setTimeout(resolve, (seconds * 1000) / 2));
  signalAt = performance.now();
  terminate();
  r.exitCode = await exited;
  r.exitMs = performance.now() - signalAt;
  stopped = true;
  await Promise.all(loops);
  agent.destroy();
  return r;
}
