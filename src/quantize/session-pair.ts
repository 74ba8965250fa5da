/** The float model and its int8 rewrite, open side by side on the same inputs. */
import type { LoadedModel } from '../models/load-model.js';
import { decodeModel } from '../onnx/load-model.js';
import { encodeModel } from '../onnx/proto.js';
import { stripZipMap } from '../onnx/zipmap.js';
import { createSession, openSession, type ModelSession } from '../runtime/session.js';

export interface SessionPair {
  float: ModelSession;
  int8: ModelSession;
  /** float32 outputs, the ones compared. */
  outputs: string[];
  release(): Promise<void>;
}

export async function openPair(loaded: LoadedModel, int8Bytes: Uint8Array, threads?: number): Promise<SessionPair> {
  const float = await openSession(loaded, { threads, transform: stripZipMap });
  const int8Model = decodeModel(int8Bytes, 'the quantized model');
  stripZipMap(int8Model);
  let int8: ModelSession;
  try {
    int8 = await createSession(encodeModel(int8Model), int8Model, 'the quantized model', threads);
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
