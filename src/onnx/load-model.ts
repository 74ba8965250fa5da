/** Read and decode an ONNX model file, with errors a user can act on. */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { MlopsError, errorMessage } from '../util/errors.js';
import { sha256Bytes } from '../util/hash.js';
import { parseNameList } from '../util/name-list.js';
import { byteLength, elementCount, isExternal, tensorDims } from './tensor.js';
import { dataTypeInfo } from './data-types.js';
import { readExternalData } from './external-data.js';
import { allGraphs } from './graph.js';
import { decodeModelBytes, onnx, type ModelProto } from './proto.js';
import { looksLikeRef } from '../registry/names.js';

/** Protobuf messages cannot exceed 2 GiB. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;

export interface LoadedModel {
  /** Absolute path of the .onnx file. */
  path: string;
  /** Folder that external data locations are resolved against. */
  dir: string;
  bytes: Uint8Array;
  sizeBytes: number;
  sha256: string;
  model: ModelProto;
  /** Set when the model was named by a registry reference. */
  registry?: RegistryVersion;
  /** Feature names recorded with the model: registry tag `features`, else ONNX metadata `feature_names`. */
  recordedFeatures?: RecordedFeatures;
}

export interface RecordedFeatures {
  names: string[];
  source: 'registry' | 'model metadata';
}

/** The registry version a reference named; `model_version` as in every --json document. */
export interface RegistryVersion {
  name: string;
  model_version: number;
}

export interface LoadModelOptions {
  /** Registry folder for references like name@production (default: MLOPS_REGISTRY, else .mlops). */
  registry?: string;
}

async function resolveModelFile(file: string, options: LoadModelOptions): Promise<{ path: string; registry?: RegistryVersion & { sha256: string; features?: string[] } }> {
  const abs = path.resolve(file);
  let info;
  try {
    info = await stat(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === 'ENOENT' || code === 'ENOTDIR') && looksLikeRef(file)) {
      // Not a file: a registry reference (name, name@3, name@production). Loaded lazily.
      const { resolveModelRef } = await import('../registry/queries.js');
      const resolved = await resolveModelRef({ ref: file, registry: options.registry, verify: false });
      return { path: resolved.path, registry: { name: resolved.name, model_version: resolved.model_version, sha256: resolved.sha256, features: resolved.features } };
    }
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new MlopsError('MODEL_NOT_FOUND', `model file ${file} does not exist`, {
        hint: 'check the path (relative paths are resolved from the current folder)',
      });
    }
    if (code === 'EACCES') throw new MlopsError('MODEL_UNREADABLE', `model file ${file} is not readable (permission denied)`);
    throw err;
  }
  if (info.isDirectory()) {
    // The ONNX test-data layout keeps model.onnx in a folder: accept the folder.
    const inner = path.join(abs, 'model.onnx');
    const innerInfo = await stat(inner).catch(() => undefined);
    if (innerInfo?.isFile()) return { path: inner };
    throw new MlopsError('MODEL_NOT_FOUND', `${file} is a folder without a model.onnx in it`, {
      hint: 'pass the .onnx file itself',
    });
  }
  return { path: abs };
}

/** Decode bytes as a ModelProto; `label` names the source in errors. */
export function decodeModel(bytes: Uint8Array, label: string): ModelProto {
  if (bytes.length === 0) {
    throw new MlopsError('ONNX_DECODE_FAILED', `${label} is empty (0 bytes)`, {
      hint: 'the export or the copy did not finish; export the model again',
    });
  }
  let model: ModelProto;
  try {
    model = decodeModelBytes(bytes);
  } catch (err) {
    // ModelProto's first field is ir_version (tag 0x08): a file that starts like a
    // model and then fails to decode was most likely cut short.
    const outOfRange = err instanceof RangeError || /index out of range/.test(errorMessage(err));
    const truncated = outOfRange && bytes[0] === 0x08;
    throw new MlopsError(
      'ONNX_DECODE_FAILED',
      truncated
        ? `${label} is not a valid ONNX model: the protobuf data ends early at byte ${bytes.length} (truncated file?)`
        : `${label} is not an ONNX model: protobuf decoding failed (${errorMessage(err)})`,
      { hint: truncated ? 'the file is incomplete; copy or export it again' : 'is this an ONNX file? .onnx files are ModelProto protobuf messages (a PyTorch .pt must be exported with torch.onnx.export first)', cause: err },
    );
  }
  if (!model.graph && !Object.prototype.hasOwnProperty.call(model, 'irVersion')) {
    throw new MlopsError('ONNX_DECODE_FAILED', `${label} is not an ONNX model: it has no ir_version and no graph`, {
      hint: 'is this an ONNX file? (a PyTorch .pt or a TensorFlow SavedModel must be exported to ONNX first)',
    });
  }
  return model;
}

export async function loadModel(file: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const { path: resolved, registry } = await resolveModelFile(file, options);
  const info = await stat(resolved).catch(() => null);
  if (!info && registry) (await import('../registry/queries.js')).assertUntampered({ ...registry, path: resolved }, null);
  const size = info?.size ?? 0;
  if (size > PROTOBUF_LIMIT) {
    throw new MlopsError('MODEL_TOO_LARGE', `${resolved} is ${size} bytes, over the 2 GiB protobuf limit, so it cannot be a single-file ONNX model`, {
      hint: 'large models keep their weights in external data: onnx.save(model, path, save_as_external_data=True)',
    });
  }
  const bytes = await readFile(resolved);
  const sha256 = sha256Bytes(bytes);
  // A registry reference is only as good as its hash: refuse a tampered file before decoding it.
  if (registry) (await import('../registry/queries.js')).assertUntampered({ ...registry, path: resolved }, sha256);
  const model = decodeModel(bytes, resolved);
  const metaNames = parseNameList((model.metadataProps ?? []).find((p) => p.key === 'feature_names')?.value);
  const recordedFeatures: RecordedFeatures | undefined = registry?.features ? { names: registry.features, source: 'registry' }
    : metaNames ? { names: metaNames, source: 'model metadata' } : undefined;
  return {
    path: resolved,
    dir: path.dirname(resolved),
    bytes,
    sizeBytes: bytes.length,
    sha256,
    model,
    ...(registry ? { registry: { name: registry.name, model_version: registry.model_version } } : {}),
    ...(recordedFeatures ? { recordedFeatures } : {}),
  };
}

export function hasExternalData(model: ModelProto): boolean {
  for (const graph of allGraphs(model)) {
    if ((graph.initializer ?? []).some(isExternal)) return true;
  }
  return false;
}

/**
 * Copy external tensor data into the model (raw_data), so the model can be
 * handed to onnxruntime as bytes. Refuses paths that leave the model folder.
 */
export async function inlineExternalData(model: ModelProto, modelDir: string): Promise<void> {
  for (const graph of allGraphs(model)) {
    for (const tensor of graph.initializer ?? []) {
      if (!isExternal(tensor)) continue;
      const info = dataTypeInfo(tensor.dataType ?? 0);
      const expected = info ? byteLength(info, elementCount(tensorDims(tensor))) : undefined;
      tensor.rawData = await readExternalData(modelDir, tensor, expected);
      tensor.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
      tensor.externalData = [];
    }
  }
}
