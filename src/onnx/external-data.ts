/** External tensor data (data_location = EXTERNAL), confined to the model's folder. */
import { open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { MlopsError } from '../util/errors.js';
import type { TensorProto } from './proto.js';

export interface ExternalDataRef {
  location: string;
  offset: number;
  length?: number;
}

export function externalDataRef(tensor: TensorProto): ExternalDataRef {
  const entries = new Map((tensor.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (!location) {
    throw new MlopsError(
      'EXTERNAL_DATA_INVALID',
      `tensor "${tensor.name}" is marked EXTERNAL but has no "location" entry`,
      {
        hint: 'the model file is incomplete; re-export it or save it without external data',
      },
    );
  }
  const int = (key: string): number | undefined => {
    const raw = entries.get(key);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new MlopsError(
        'EXTERNAL_DATA_INVALID',
        `tensor "${tensor.name}": external data ${key} "${raw}" is not a non-negative integer`,
      );
    }
    return n;
  };
  return { location, offset: int('offset') ?? 0, length: int('length') };
}

function isInside(dir: string, target: string): boolean {
  const rel = path.relative(dir, target);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * Resolve an external data location against the model's folder. Absolute
 * paths, `..` escapes and symlinks leading outside the folder are refused:
 * a model file must not be able to make us read arbitrary files.
 */
export async function resolveExternalPath(
  modelDir: string,
  tensor: TensorProto,
  ref = externalDataRef(tensor),
): Promise<string> {
  const outside = () =>
    new MlopsError(
      'EXTERNAL_DATA_OUTSIDE_MODEL_DIR',
      `tensor "${tensor.name}" points at external data "${ref.location}", outside the model's folder ${modelDir}`,
      { hint: 'external data files must be in the model folder or below it; move the file there and fix the location' },
    );
  if (path.isAbsolute(ref.location)) throw outside();
  const resolved = path.resolve(modelDir, ref.location);
  if (!isInside(modelDir, resolved)) throw outside();
  let real: string;
  try {
    real = await realpath(resolved);
  } catch {
    throw new MlopsError(
      'EXTERNAL_DATA_MISSING',
      `tensor "${tensor.name}": external data file ${resolved} does not exist`,
      {
        hint: 'copy the data file next to the model (it is usually written beside model.onnx at export)',
      },
    );
  }
  if (!isInside(await realpath(modelDir), real)) throw outside();
  return real;
}

export async function readExternalData(
  modelDir: string,
  tensor: TensorProto,
  expectedBytes?: number,
): Promise<Uint8Array> {
  const ref = externalDataRef(tensor);
  const file = await resolveExternalPath(modelDir, tensor, ref);
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const length = ref.length ?? expectedBytes ?? size - ref.offset;
    if (ref.offset + length > size) {
      throw new MlopsError(
        'EXTERNAL_DATA_TRUNCATED',
        `tensor "${tensor.name}": external data ${ref.location} has ${size} bytes, but offset ${ref.offset} + length ${length} goes past its end`,
        { hint: 'the data file is truncated or belongs to another export' },
      );
    }
    const out = new Uint8Array(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(out, read, length - read, ref.offset + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return out;
  } finally {
    await handle.close();
  }
}
