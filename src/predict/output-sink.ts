/** Where predictions go: a file written atomically, or stdout; back-pressure respected. */
import { once } from 'node:events';
import { commitTemp, discardTemp, openTemp } from '../util/fs-atomic.js';

export interface OutputSink {
  /** Resolves when the sink can take more (at most one write is in flight). */
  write(text: string): Promise<void>;
  /** Make the output visible (rename into place). */
  commit(): Promise<void>;
  /** Remove everything written; the target is left as it was. */
  abort(): Promise<void>;
}

export async function fileSink(target: string): Promise<OutputSink> {
  const { temp, handle } = await openTemp(target);
  let inflight: Promise<unknown> = Promise.resolve();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    async write(text) {
      const previous = inflight;
      inflight = previous.then(() => handle.write(text));
      await previous;
    },
    async commit() {
      await inflight;
      await handle.sync();
      await close();
      await commitTemp(temp, target);
    },
    async abort() {
      await inflight.catch(() => {});
      await close().catch(() => {});
      await discardTemp(temp);
    },
  };
}

export function streamSink(stream: NodeJS.WritableStream): OutputSink {
  return {
    async write(text) {
      if (!stream.write(text)) await once(stream, 'drain');
    },
    async commit() {},
    async abort() {},
  };
}
