/**
 * Large bodies take turns on the event loop. JSON.parse and the tensor
 * conversion that follows are synchronous: about 14 ms per MB on a 2-core
 * machine, so four 30 MB bodies parsed back to back held health checks for
 * seconds and four parsed trees (about 8x their text each) lived at once.
 * Bodies at or above `thresholdBytes` are parsed one at a time, and the loop
 * polls I/O (health checks, small requests) between two of them; at most
 * `maxWaiting` (64) wait, the next is 503 with Retry-After. Small bodies never wait:
 * the single-row path stays as fast as before.
 */
import { HttpError } from './http-util.js';

export class ParseGate {
  private busy = false;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly thresholdBytes = 1024 * 1024,
    // Bodies waiting here are already read; 64 lets 40 concurrent 1 MB bodies take turns instead of 503.
    readonly maxWaiting = 64,
  ) {}

  /**
   * undefined: parse now (a small body, or a large one with the loop free).
   * A promise: parse when it resolves. The caller must do its synchronous work
   * (parse, build tensors, submit) right after its turn comes: the turn ends
   * once the loop has polled I/O again.
   */
  turn(size: number): Promise<void> | undefined {
    if (size < this.thresholdBytes) return undefined;
    if (!this.busy) {
      this.grant();
      return undefined;
    }
    if (this.waiting.length >= this.maxWaiting)
      throw new HttpError(
        503,
        `too many large bodies are waiting to be parsed (${this.waiting.length}; bodies of ${this.thresholdBytes} bytes and more are parsed one at a time)`,
        { 'retry-after': '1' },
      );
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private grant(): void {
    this.busy = true;
    // Two turns of setImmediate: the poll phase runs between them, so I/O waiting since this parse is served before the next.
    setImmediate(() =>
      setImmediate(() => {
        const next = this.waiting.shift();
        if (!next) {
          this.busy = false;
          return;
        }
        this.grant();
        next();
      }),
    );
  }
}
