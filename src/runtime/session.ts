/** onnxruntime-node sessions over our decoded models, with user-facing errors. */
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { MlopsError, errorMessage } from '../util/errors.js';
import { decodeModel, hasExternalData, inlineExternalData, type ModelFile } from '../onnx/load-model.js';
import { feedInputs, valueSignature, type ValueSignature } from '../onnx/graph.js';
import { encodeModel, type ModelProto } from '../onnx/proto.js';
import type { Tensor } from '../onnx/tensor.js';
import type { ElementType } from '../onnx/data-types.js';
import { loadOrt } from './ort.js';
import { BadInputError, createOrtSession, toOrt } from './ort-session.js';

export interface OpenSessionOptions {
  /** onnxruntime intra-op threads (default: onnxruntime's choice, one per core). */
  threads?: number;
  /** Edit a private copy of the model before loading it (e.g. stripZipMap). */
  transform?: (model: ModelProto) => void;
  /** Label used in errors; defaults to the model path. */
  label?: string;
}

/**
 * What a caller needs of a model besides running it: its label for messages,
 * its graph (class labels, producers) and its input and output signatures.
 * A plain object, so it outlives any session.
 */
export interface ModelSignature {
  readonly label: string;
  readonly model: ModelProto;
  readonly inputs: ValueSignature[];
  readonly outputs: ValueSignature[];
  /** Outputs onnxruntime-node can return (tensors, not sequences or maps). */
  readonly tensorOutputs: ValueSignature[];
}

/** A model ready to compile: the bytes onnxruntime loads (after any transform) and what they declare. */
export interface PreparedModel {
  signature: ModelSignature;
  bytes: Uint8Array;
}

export function modelSignature(model: ModelProto, label: string): ModelSignature {
  const graph = model.graph!;
  const inputs = feedInputs(graph).map(valueSignature);
  const outputs = (graph.output ?? []).map(valueSignature);
  return { label, model, inputs, outputs, tensorOutputs: outputs.filter((o) => o.kind === 'tensor') };
}

/** onnxruntime refused the model (in this thread or a worker's). */
export function loadFailed(label: string, err: unknown): MlopsError {
  return new MlopsError('RUNTIME_LOAD_FAILED', `onnxruntime could not load ${label}: ${cleanOrtMessage(err)}`, {
    hint: 'run `mlops check` on the model for a structural diagnosis',
    cause: err,
  });
}

/** onnxruntime could not build a tensor from one feed (in this thread or a worker's). */
export function badInput(label: string, input: string, message: string): MlopsError {
  return new MlopsError('RUNTIME_BAD_INPUT', `input "${input}" of ${label}: ${message}`);
}

/** onnxruntime failed one inference call (in this thread or a worker's); `feeds` say what it was given. */
export function runFailed(
  label: string,
  feeds: Record<string, { type: string; dims: readonly number[] }>,
  err: unknown,
  cause?: unknown,
): MlopsError {
  const shapes = Object.entries(feeds)
    .map(([n, t]) => `${n} ${t.type}[${t.dims.join(', ')}]`)
    .join(', ');
  return new MlopsError(
    'RUNTIME_RUN_FAILED',
    `onnxruntime failed to run ${label} on inputs ${shapes}: ${cleanOrtMessage(err)}`,
    {
      hint: 'check that the inputs have the types and shapes the model declares (mlops inspect shows them)',
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

export class ModelSession implements ModelSignature {
  constructor(
    private readonly session: InferenceSession,
    readonly label: string,
    readonly model: ModelProto,
    readonly inputs: ValueSignature[],
    readonly outputs: ValueSignature[],
  ) {}

  /** Outputs onnxruntime-node can return (tensors, not sequences or maps). */
  get tensorOutputs(): ValueSignature[] {
    return this.outputs.filter((o) => o.kind === 'tensor');
  }

  async run(
    feeds: Record<string, Tensor>,
    fetch: string[] = this.tensorOutputs.map((o) => o.name),
  ): Promise<Record<string, Tensor>> {
    const ort = await loadOrt();
    let ortFeeds: Record<string, OrtTensor>;
    try {
      ortFeeds = toOrt(ort, feeds);
    } catch (err) {
      if (err instanceof BadInputError) throw badInput(this.label, err.input, err.message);
      throw err;
    }
    let results: InferenceSession.OnnxValueMapType;
    try {
      results = await this.session.run(ortFeeds, fetch);
    } catch (err) {
      throw runFailed(this.label, feeds, err, err);
    }
    const out: Record<string, Tensor> = {};
    for (const name of fetch) {
      const value = results[name] as OrtTensor;
      out[name] = {
        name,
        type: value.type as ElementType,
        dims: value.dims.map(Number),
        data: value.data as Tensor['data'],
      };
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * onnxruntime prefixes messages with a status code, a source location and a
 * C++ signature ("/onnxruntime_src/...cc:202 onnxruntime::Model::Model(...) ");
 * keep the readable part.
 */
export function cleanOrtMessage(err: unknown): string {
  return errorMessage(err)
    .replace(/^\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*\w+\s*:\s*/, '')
    .replace(/^\S+\.(?:cc|h|cpp):\d+\s+[^(]*\((?:[^()]|\([^()]*\))*\)\s*/, '')
    .trim();
}

/**
 * A model to compile: a loaded file, or bytes with no decoded model yet (e.g. quantize's int8 rewrite,
 * decoded here once). `dir` resolves external data.
 */
export type ModelSource = Pick<ModelFile, 'path' | 'dir' | 'bytes'> & { model?: ModelProto };

export async function openSession(loaded: ModelSource, options: OpenSessionOptions = {}): Promise<ModelSession> {
  const { signature, bytes } = await prepareModel(loaded, options);
  return createSession(bytes, signature.model, signature.label, options.threads);
}

/** The bytes to compile and their signature, without compiling (a worker compiles them: see worker-session.ts). */
export async function prepareModel(
  loaded: ModelSource,
  options: Pick<OpenSessionOptions, 'transform' | 'label'> = {},
): Promise<PreparedModel> {
  const label = options.label ?? loaded.path;
  // Without a caller's decoded model, the one decoded here is already private.
  let model = loaded.model ?? decodeModel(loaded.bytes, label);
  let bytes = loaded.bytes;
  const external = hasExternalData(model);
  if (options.transform || external) {
    // Work on a private copy so the caller's decoded model stays as it was.
    if (loaded.model) model = decodeModel(loaded.bytes, label);
    options.transform?.(model);
    if (external) await inlineExternalData(model, loaded.dir);
    bytes = encodeModel(model);
  }
  return { signature: modelSignature(model, label), bytes };
}

export async function createSession(
  bytes: Uint8Array,
  model: ModelProto,
  label: string,
  requestedThreads?: number,
): Promise<ModelSession> {
  const ort = await loadOrt();
  let session: InferenceSession;
  try {
    session = await createOrtSession(ort, bytes, requestedThreads);
  } catch (err) {
    throw loadFailed(label, err);
  }
  const { inputs, outputs } = modelSignature(model, label);
  return new ModelSession(session, label, model, inputs, outputs);
}
