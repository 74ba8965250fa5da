/**
 * The Open Inference Protocol (KServe V2) over a served model: metadata,
 * readiness and `infer`. Inputs are checked against the model's signature
 * (400 naming the input, the expected and the given shape) before they queue.
 */
import type { Dim, ValueSignature } from '../onnx/graph.js';
import type { ElementType } from '../onnx/data-types.js';
import type { Tensor } from '../onnx/tensor.js';
import { QueueFull, TooManyRows } from './batcher.js';
import { BadTensor, holdsBigInts, oipDatatype, shapeText, tensorData, toTensor } from './datatypes.js';
import { EXACT_INTEGERS } from './exact-json.js';
import { HttpError } from './http-util.js';
import type { LiveVersion, ServedModel } from './served-model.js';

const dimOut = (d: Dim) => (typeof d === 'number' ? d : -1);

function tensorMetadata(v: ValueSignature) {
  return { name: v.name, datatype: oipDatatype(v.type as ElementType) ?? v.type, shape: (v.shape ?? []).map(dimOut) };
}

export function modelMetadata(model: ServedModel) {
  const live = model.current;
  return {
    name: model.name,
    versions: live.modelVersion === null ? [] : [String(live.modelVersion)],
    platform: 'onnx_onnxv1',
    inputs: live.signature.inputs.map(tensorMetadata),
    outputs: live.signature.tensorOutputs.map(tensorMetadata),
  };
}

/** A version in the path must be the one being served (a registry model serves one version at a time). */
export function checkVersion(model: ServedModel, version: string | undefined, current = model.current): void {
  if (version === undefined) return;
  const live = current.modelVersion;
  if (String(live) !== version)
    throw new HttpError(
      404,
      `model "${model.name}" is serving ${live === null ? 'a file, which has no versions' : `version ${live}`}, not version ${version}`,
    );
}

interface InferInput {
  name?: unknown;
  shape?: unknown;
  datatype?: unknown;
  data?: unknown;
}

/** The request's inputs as tensors fitting the model's inputs, and the rows they hold. */
export function requestTensors(
  live: Pick<LiveVersion, 'signature'>,
  body: unknown,
): { feeds: Record<string, Tensor>; rows: number } {
  const inputs = (body as { inputs?: unknown })?.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw new HttpError(400, 'the request needs "inputs": [{"name", "shape", "datatype", "data"}]');
  const wanted = live.signature.inputs;
  const given = new Map<string, InferInput>();
  for (const i of inputs as InferInput[]) {
    if (typeof i?.name !== 'string') throw new HttpError(400, 'every input needs a "name"');
    if (given.has(i.name)) throw new HttpError(400, `input "${i.name}" is given twice`);
    given.set(i.name, i);
  }
  for (const name of given.keys())
    if (!wanted.some((w) => w.name === name))
      throw new HttpError(
        400,
        `the model has no input "${name}" (its inputs: ${wanted.map((w) => w.name).join(', ')})`,
      );
  const feeds: Record<string, Tensor> = {};
  let rows: number | undefined;
  for (const w of wanted) {
    const i = given.get(w.name);
    if (!i)
      throw new HttpError(
        400,
        `input "${w.name}" is missing (the model needs ${wanted.map((x) => x.name).join(', ')})`,
      );
    const expected = oipDatatype(w.type as ElementType);
    if (i.datatype !== expected)
      throw new HttpError(
        400,
        `input "${w.name}" is ${expected ?? w.type}, the request says ${JSON.stringify(i.datatype)}`,
      );
    if (!Array.isArray(i.shape) || !i.shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new HttpError(400, `input "${w.name}" needs a "shape" of non-negative integers`);
    const shape = i.shape as number[];
    const want = w.shape ?? [];
    const fits =
      w.shape === null ||
      (shape.length === want.length && want.every((d, k) => typeof d !== 'number' || d === shape[k]));
    if (!fits)
      throw new HttpError(
        400,
        `input "${w.name}" has shape [${want.map((d) => (typeof d === 'number' ? d : -1)).join(', ')}]; the request gives [${shapeText(shape)}]`,
      );
    try {
      // A typed array comes only from the parse worker (JSON has none), built by toTensor for this datatype and shape.
      feeds[w.name] = ArrayBuffer.isView(i.data)
        ? { type: w.type as ElementType, dims: shape, data: i.data as Tensor['data'] }
        : toTensor(w.name, w.type as ElementType, shape, i.data);
    } catch (err) {
      if (err instanceof BadTensor) throw new HttpError(400, err.message);
      throw err;
    }
    const n = shape[0] ?? 1;
    if (rows !== undefined && n !== rows)
      throw new HttpError(400, `input "${w.name}" has ${n} rows where the other inputs have ${rows}`);
    rows = n;
  }
  return { feeds, rows: rows ?? 1 };
}

/**
 * `version`: the one the path names, checked against the version this request runs on.
 * The live version is read once: a reload that swaps in another version while this
 * request runs changes nothing for it (it answers, and names, the version it ran on).
 * `beforeRun` sees the request's tensors while they are still readable (the
 * batcher transfers their buffers to a worker): the prediction log copies
 * its sampled rows there.
 */
export async function infer(
  model: ServedModel,
  body: unknown,
  version?: string,
  beforeRun?: (live: LiveVersion, feeds: Record<string, Tensor>, rows: number) => void,
) {
  const live = model.current;
  checkVersion(model, version, live);
  const { feeds, rows } = requestTensors(live, body);
  const requested = (body as { outputs?: Array<{ name?: unknown }> }).outputs;
  const names = new Set(live.signature.tensorOutputs.map((o) => o.name));
  const id = (body as { id?: unknown }).id;
  if (id !== undefined && typeof id !== 'string') throw new HttpError(400, '"id" must be a string');
  if (requested !== undefined) {
    if (!Array.isArray(requested)) throw new HttpError(400, '"outputs" must be a list of {"name"}');
    const seen = new Set<unknown>();
    for (const [k, r] of requested.entries()) {
      if (typeof r !== 'object' || r === null || Array.isArray(r) || typeof r.name !== 'string')
        throw new HttpError(
          400,
          `"outputs"[${k}] is ${JSON.stringify(r) ?? 'undefined'}: each requested output is {"name": "<output>"} (the model's outputs: ${[...names].join(', ')})`,
        );
      if (seen.has(r.name)) throw new HttpError(400, `output ${JSON.stringify(r?.name)} is asked for twice`);
      seen.add(r?.name);
    }
    for (const r of requested)
      if (typeof r?.name !== 'string' || !names.has(r.name))
        throw new HttpError(
          400,
          `the model has no output ${JSON.stringify(r?.name)} (its outputs: ${[...names].join(', ')})`,
        );
  }
  beforeRun?.(live, feeds, rows);
  const result = await submitRows(live, feeds, rows);
  const wanted = requested ? requested.map((r) => r.name as string) : [...names];
  let exact = false;
  const doc = {
    model_name: model.name,
    model_version: live.modelVersion === null ? '' : String(live.modelVersion),
    ...(typeof id === 'string' ? { id } : {}),
    outputs: wanted.map((name) => {
      const t = result.outputs[name];
      const data = tensorData(t);
      exact ||= holdsBigInts(data);
      return { name, shape: t.dims, datatype: oipDatatype(t.type) ?? t.type, data };
    }),
  };
  // 64-bit integers beyond 2^53: sendJson writes their exact digits.
  if (exact) Object.assign(doc, { [EXACT_INTEGERS]: true });
  return {
    doc,
    timing: result,
    live,
  };
}

/** A request's rows through the version's batcher, its refusals as HTTP answers (OIP and /invocations alike). */
export async function submitRows(live: LiveVersion, feeds: Record<string, Tensor>, rows: number) {
  try {
    return await live.batcher.submit(feeds, rows);
  } catch (err) {
    if (err instanceof TooManyRows) throw new HttpError(413, err.message);
    if (err instanceof QueueFull)
      throw new HttpError(503, `the queue is full (${err.message})`, { 'retry-after': '1' });
    throw err;
  }
}
