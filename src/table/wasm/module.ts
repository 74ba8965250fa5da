/**
 * The WebAssembly module of csv-floats.c and float-text.c, compiled once per
 * thread on first use; each user gets its own instance and memory.
 */
import { CSV_FLOATS_WASM } from './csv-floats-module.js';

/** A module's memory (the WebAssembly API is in TypeScript's DOM library, not in @types/node). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;

export interface WasmInstance {
  memory: WasmMemory;
  /** First free byte of memory (past the module's own data and stack). */
  heapBase: number;
  exports: Record<string, unknown>;
}

export function instantiate(): WasmInstance {
  compiled ??= new wasm.Module(Buffer.from(CSV_FLOATS_WASM, 'base64'));
  const { exports } = new wasm.Instance(compiled, {});
  return {
    memory: exports.memory as WasmMemory,
    heapBase: (exports.__heap_base as { value: number }).value,
    exports,
  };
}

const PAGE = 65536;

/** A 32-bit module addresses 4 GiB; the last page is left out. */
const MAX_BYTES = 2 ** 32 - PAGE;

/**
 * Grow `memory` to hold `end` bytes; false when it cannot (past 4 GiB, or out of memory): the caller
 * then does without the module. Views of the memory are detached when it grows.
 */
export function reserve(memory: WasmMemory, end: number): boolean {
  const have = memory.buffer.byteLength;
  if (end <= have) return true;
  if (end > MAX_BYTES) return false;
  try {
    memory.grow(Math.ceil((end - have) / PAGE));
    return true;
  } catch {
    return false;
  }
}

/** Byte sizes here may pass 2^31: no 32-bit bit operations. */
export const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** Bytes of batch data a module's region holds at most: larger batches go through it in parts. */
export const REGION_BYTES = 4 << 20;
