/**
 * onnx-proto (static protobufjs code for IR 8) with unknown fields kept.
 *
 * onnx-proto's decoders skip every field they do not know, so a model from a
 * newer exporter (IR 9/10: node metadata_props, overload, ...) would lose those
 * fields on decode -> encode. Nested messages are decoded and encoded through
 * `$root.onnx.<Type>.decode/encode`, looked up at call time, so we wrap every
 * message type once: decode remembers the raw bytes of the fields the schema
 * does not know, encode appends them again. Unknown fields of a message we
 * edit stay with that message object.
 */
import { createRequire } from 'node:module';
import type * as OnnxProtoModule from 'onnx-proto';
import type * as ProtobufMinimal from 'protobufjs/minimal.js';

const require = createRequire(import.meta.url);
const protobuf = require('protobufjs/minimal.js') as typeof ProtobufMinimal;
const onnxProto = require('onnx-proto') as typeof OnnxProtoModule;

// protobufjs decodes int64 as Long when the `long` package is present; make it explicit.
const Long = require('long');
protobuf.util.Long = Long;
protobuf.configure();

export const onnx = onnxProto.onnx;
export const Reader = protobuf.Reader;
export const Writer = protobuf.Writer;

const unknownFields = new WeakMap<object, Uint8Array>();

/** Raw bytes (tag + value) of the fields the IR 8 schema does not know, if any. */
export function getUnknownFields(message: object): Uint8Array | undefined {
  return unknownFields.get(message);
}

interface MessageType {
  decode(reader: ProtobufMinimal.Reader | Uint8Array, length?: number): object;
  encode(message: object, writer?: ProtobufMinimal.Writer): ProtobufMinimal.Writer;
}

function isMessageType(value: unknown): value is MessageType {
  return (
    typeof value === 'function' &&
    typeof (value as unknown as MessageType).decode === 'function' &&
    typeof (value as unknown as MessageType).encode === 'function'
  );
}

/** Field numbers a generated decoder handles, read from its `case N:` labels. */
// biome-ignore lint/complexity/noBannedTypes: protobufjs generated decoders and writers are untyped functions
function knownFieldNumbers(decode: Function): Set<number> {
  const numbers = new Set<number>();
  for (const match of decode.toString().matchAll(/case (\d+):/g)) numbers.add(Number(match[1]));
  return numbers;
}

function scanUnknown(buf: Uint8Array, start: number, end: number, known: Set<number>): Uint8Array | undefined {
  const reader = protobuf.Reader.create(buf);
  reader.pos = start;
  reader.len = end;
  let chunks: Uint8Array[] | undefined;
  while (reader.pos < end) {
    const fieldStart = reader.pos;
    const tag = reader.uint32();
    reader.skipType(tag & 7);
    if (!known.has(tag >>> 3)) (chunks ??= []).push(buf.subarray(fieldStart, reader.pos));
  }
  if (!chunks) return undefined;
  // Copy, so the object does not pin the whole model buffer.
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function writeRaw(value: Uint8Array, buf: Uint8Array, pos: number): void {
  buf.set(value, pos);
}

function wrap(type: MessageType): void {
  const decode = type.decode;
  const encode = type.encode;
  const known = knownFieldNumbers(decode);
  type.decode = function decodeKeepingUnknown(input, length) {
    const reader = input instanceof protobuf.Reader ? input : protobuf.Reader.create(input);
    const start = reader.pos;
    const end = length === undefined ? reader.len : reader.pos + length;
    const message = decode.call(this, reader, length);
    const unknown = scanUnknown(reader.buf, start, end, known);
    if (unknown) unknownFields.set(message, unknown);
    return message;
  };
  type.encode = function encodeWithUnknown(message, writer) {
    const out = encode.call(this, message, writer);
    const unknown = unknownFields.get(message);
    // Writer#_push is protobufjs' own primitive for appending a value with a custom writer.
    // biome-ignore lint/complexity/noBannedTypes: protobufjs generated decoders and writers are untyped functions
    if (unknown) (out as unknown as { _push: Function })._push(writeRaw, unknown.length, unknown);
    return out;
  };
}

function wrapAll(namespace: Record<string, unknown>, seen: Set<unknown>): void {
  for (const value of Object.values(namespace)) {
    if (!isMessageType(value) || seen.has(value)) continue;
    seen.add(value);
    wrap(value);
    wrapAll(value as unknown as Record<string, unknown>, seen); // nested types (TensorProto.Segment, TypeProto.Tensor...)
  }
}

wrapAll(onnx as unknown as Record<string, unknown>, new Set());

export type ModelProto = OnnxProtoModule.onnx.IModelProto;
export type GraphProto = OnnxProtoModule.onnx.IGraphProto;
export type NodeProto = OnnxProtoModule.onnx.INodeProto;
export type TensorProto = OnnxProtoModule.onnx.ITensorProto;
export type ValueInfoProto = OnnxProtoModule.onnx.IValueInfoProto;
export type TypeProto = OnnxProtoModule.onnx.ITypeProto;
export type AttributeProto = OnnxProtoModule.onnx.IAttributeProto;
export type OperatorSetIdProto = OnnxProtoModule.onnx.IOperatorSetIdProto;
export type DimensionProto = OnnxProtoModule.onnx.TensorShapeProto.IDimension;
export type LongLike = number | { low: number; high: number; unsigned?: boolean; toNumber(): number };

/** int64 fields arrive as Long objects (or numbers when written by us). */
export function toNumber(value: LongLike | null | undefined): number {
  if (value == null) return 0;
  if (typeof value === 'number') return value;
  return value.toNumber();
}

export function toBigInt(value: LongLike | null | undefined, unsigned = false): bigint {
  if (value == null) return 0n;
  if (typeof value === 'number') return BigInt(value);
  const low = BigInt(value.low >>> 0);
  const high = BigInt(value.high >>> 0);
  const bits = (high << 32n) | low;
  return unsigned || value.unsigned ? bits : BigInt.asIntN(64, bits);
}

export function decodeModelBytes(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

export function decodeTensorBytes(bytes: Uint8Array): TensorProto {
  return onnx.TensorProto.decode(bytes);
}

export function encodeTensor(tensor: TensorProto): Uint8Array {
  return onnx.TensorProto.encode(tensor).finish();
}
