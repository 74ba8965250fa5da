/**
 * A parse worker: a large OIP infer body is parsed here, and each input's
 * `data` is turned into its typed array with the same rules as on the event
 * loop (datatypes.ts `toTensor`, by the datatype the request names). The
 * arrays go back transferred (zero copy), so the main thread never holds the
 * parsed tree of a large body: no parse and no major GC of it on the loop.
 * An input that cannot be converted keeps its data for the main thread, whose
 * checks then answer with the same message; strings (BYTES) are not converted.
 */
import { parentPort } from 'node:worker_threads';
import type { ElementType } from '../onnx/data-types.js';
import { BadTensor, oipDatatype, toTensor } from './datatypes.js';
import { tooDeep } from './json-depth.js';

export interface ParseRequest {
  id: number;
  body: Uint8Array;
}

/** `error` with `status`: the message as the client sees it; without: JSON.parse's message. */
export type ParseReply = { id: number; doc: unknown } | { id: number; error: string; status?: number };

const NUMERIC: ElementType[] = [
  'bool',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'int8',
  'int16',
  'int32',
  'int64',
  'float16',
  'float32',
  'float64',
];
const BY_DATATYPE = new Map(NUMERIC.map((t) => [oipDatatype(t) as string, t]));

function convert(doc: unknown, transfer: ArrayBuffer[]): void {
  const inputs = (doc as { inputs?: unknown })?.inputs;
  if (!Array.isArray(inputs)) return;
  const buffers = new Set<ArrayBuffer>();
  const names = new Set<string>();
  for (const input of inputs) {
    if (typeof input !== 'object' || input === null || typeof input.name !== 'string') continue;
    // A name given twice is refused on the loop: converting the rest of such a body is wasted work.
    if (names.has(input.name)) return;
    names.add(input.name);
    const type = BY_DATATYPE.get(input.datatype);
    const shape = input.shape;
    if (!type || !Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) continue;
    try {
      const tensor = toTensor(input.name, type, shape, input.data);
      input.data = tensor.data;
      const buffer = (tensor.data as ArrayBufferView).buffer as ArrayBuffer;
      if (!buffers.has(buffer)) {
        buffers.add(buffer);
        transfer.push(buffer);
      }
    } catch (err) {
      if (!(err instanceof BadTensor)) throw err;
    }
  }
}

function parse({ id, body }: ParseRequest): { reply: ParseReply; transfer: ArrayBuffer[] } {
  const deep = tooDeep(body);
  if (deep) return { reply: { id, error: deep, status: 400 }, transfer: [] };
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    return { reply: { id, error: (err as Error).message }, transfer: [] };
  }
  const transfer: ArrayBuffer[] = [];
  convert(doc, transfer);
  return { reply: { id, doc }, transfer };
}

// Each body on its own: whatever one body does (a throw, a reply that cannot be cloned) is its own
// 500, and the worker lives on for the others.
parentPort?.on('message', (request: ParseRequest) => {
  try {
    const { reply, transfer } = parse(request);
    parentPort?.postMessage(reply, transfer);
  } catch (err) {
    parentPort?.postMessage({ id: request.id, error: `internal error: ${(err as Error).message}`, status: 500 });
  }
});
