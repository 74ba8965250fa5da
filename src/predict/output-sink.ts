/** Where predictions go: a file written atomically, or stdout; back-pressure respected. */
import { once } from 'node:events';
import { openOutput } from '../util/fs-atomic.js';

export interface OutputSink {
  /** Resolves when the sink can take more (at most one write is in flight). */
  write(text: string): Promise<void>;
  /** Make the output visible (rename into place). */
  commit(): Promise<void>;
  /** Remove everything written; the target is left as it was. */
  abort(): Promise<void>;
}

export async function fileSink(target: string): Promise<OutputSink> {
  const out = await openOutput(target);
  let inflight: Promise<unknown> = Promise.resolve();
  return {
    async write(text) {
      const previous = inflight;
      inflight = previous.then(() => out.handle.write(text));
      await previous;
    },
    async commit() {
      await inflight;
      await out.commit();
    },
    async abort() {
      await inflight.catch(() => {});
      await out.discard();
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
