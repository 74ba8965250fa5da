/**
 * Model I/O on bytes: decode an ONNX file with errors a user can act on, its
 * size limit, recorded feature names and external data. Turning "a path or a
 * registry reference" into a file is src/models/ (this layer knows no registry).
 */
import { MlopsError, errorMessage } from '../util/errors.js';
import { parseNameList } from '../util/name-list.js';
import { byteLength, elementCount, isExternal, tensorDims } from './tensor.js';
import { dataTypeInfo } from './data-types.js';
import { readExternalData } from './external-data.js';
import { allGraphs } from './graph.js';
import { decodeModelBytes, onnx, type ModelProto } from './proto.js';

/** Protobuf messages cannot exceed 2 GiB. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;

/** A decoded model file: what a session, a check or a rewrite needs (no registry facts). */
export interface ModelFile {
  /** Absolute path of the .onnx file. */
  path: string;
  /** Folder that external data locations are resolved against. */
  dir: string;
  bytes: Uint8Array;
  sizeBytes: number;
  sha256: string;
  model: ModelProto;
}

/**
 * Feature names recorded with a model, in input order: ONNX metadata `feature_names`
 * (read here), or the registry tag `features` (added by models/, which prefers it).
 * Defined at this level so the table layer can name it without importing models/.
 */
export interface RecordedFeatures {
  names: string[];
  source: 'registry' | 'model metadata';
}

/** Refuse a file too large to be one protobuf message, before reading it. */
export function assertSingleFileSize(file: string, size: number): void {
  if (size > PROTOBUF_LIMIT) {
    throw new MlopsError(
      'MODEL_TOO_LARGE',
      `${file} is ${size} bytes, over the 2 GiB protobuf limit, so it cannot be a single-file ONNX model`,
      {
        hint: 'large models keep their weights in external data: onnx.save(model, path, save_as_external_data=True)',
      },
    );
  }
}

/** The feature names an exporter recorded in ONNX metadata (`feature_names`), if any. */
export function metadataFeatureNames(model: ModelProto): string[] | undefined {
  return parseNameList((model.metadataProps ?? []).find((p) => p.key === 'feature_names')?.value);
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
      {
        hint: truncated
          ? 'the file is incomplete; copy or export it again'
          : 'is this an ONNX file? .onnx files are ModelProto protobuf messages (a PyTorch .pt must be exported with torch.onnx.export first)',
        cause: err,
      },
    );
  }
  if (!model.graph && !Object.hasOwn(model, 'irVersion')) {
    throw new MlopsError('ONNX_DECODE_FAILED', `${label} is not an ONNX model: it has no ir_version and no graph`, {
      hint: 'is this an ONNX file? (a PyTorch .pt or a TensorFlow SavedModel must be exported to ONNX first)',
    });
  }
  return model;
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
