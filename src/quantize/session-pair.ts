/** The float model and its int8 rewrite, open side by side on the same inputs. */
import type { LoadedModel } from '../models/load-model.js';
import { stripZipMap } from '../onnx/zipmap.js';
import { openSession, type ModelSession } from '../runtime/session.js';

export interface SessionPair {
  float: ModelSession;
  int8: ModelSession;
  /** float32 outputs, the ones compared. */
  outputs: string[];
  release(): Promise<void>;
}

export async function openPair(loaded: LoadedModel, int8Bytes: Uint8Array, threads?: number): Promise<SessionPair> {
  const float = await openSession(loaded, { threads, transform: stripZipMap });
  let int8: ModelSession;
  try {
    // The same preparation as the float model's: decode, strip ZipMap, re-encode.
    const label = 'the quantized model';
    int8 = await openSession(
      { path: label, dir: loaded.dir, bytes: int8Bytes },
      { threads, transform: stripZipMap, label },
    );
  } catch (err) {
    await float.release();
    throw err;
  }
  return {
    float,
    int8,
    outputs: float.tensorOutputs.filter((o) => o.type === 'float32').map((o) => o.name),
    release: async () => {
      await float.release();
      await int8.release();
    },
  };
}
