/** Where predictions go: a file written atomically, or stdout; back-pressure respected. */
import { once } from 'node:events';
import { openOutput, outputWriteError, type OutputTarget } from '../util/fs-atomic.js';

export interface OutputSink {
  /** Resolves when the sink can take more (at most one write is in flight). Bytes are UTF-8 text. */
  write(text: string | Uint8Array): Promise<void>;
  /** Make the output visible (rename into place). */
  commit(): Promise<void>;
  /** Remove everything written; the target is left as it was. */
  abort(): Promise<void>;
}

/** `resolved`: where planning found `target` resolves to (see openOutput). */
export async function fileSink(target: string, resolved?: OutputTarget): Promise<OutputSink> {
  const out = await openOutput(target, resolved);
  let inflight: Promise<void> = Promise.resolve();
  // A failed write (a full disk) is kept and raised by the next call, never left unhandled.
  let failure: Error | undefined;
  const check = () => {
    if (failure) throw failure;
  };
  return {
    async write(text) {
      const previous = inflight;
      inflight = previous.then(async () => {
        if (failure) return;
        try {
          if (typeof text === 'string') await out.handle.write(text);
          else {
            // A write may take only part of the bytes: go on from where it stopped.
            for (let at = 0; at < text.length; ) at += (await out.handle.write(text, at)).bytesWritten;
          }
        } catch (err) {
          failure = outputWriteError(target, err);
        }
      });
      await previous;
      check();
    },
    async commit() {
      await inflight;
      check();
      await out.commit();
    },
    async abort() {
      await inflight;
      await out.discard();
    },
  };
}

export function streamSink(stream: NodeJS.WritableStream, name = 'stdout'): OutputSink {
  let failure: Error | undefined;
  const onError = (err: Error) => {
    failure ??= outputWriteError(name, err);
  };
  stream.on('error', onError);
  const check = () => {
    if (failure) throw failure;
  };
  return {
    async write(text) {
      check();
      try {
        if (!stream.write(text)) await Promise.race([once(stream, 'drain'), once(stream, 'error')]);
      } catch (err) {
        onError(err as Error);
      }
      check();
    },
    async commit() {
      stream.off('error', onError);
      check();
    },
    async abort() {
      stream.off('error', onError);
    },
  };
}
