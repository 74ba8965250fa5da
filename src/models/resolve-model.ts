/**
 * "A path, a folder with model.onnx, or a registry reference (name, name@3,
 * name@production)" -> the file to read, and the registry version it is when
 * it was named by a reference. The one place that knows both paths and names.
 */
import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { MlopsError } from '../util/errors.js';
import { looksLikeRef } from '../registry/names.js';
import type { ResolvedModel } from '../registry/queries.js';
import type { RegistryStore } from '../registry/store.js';

export interface ResolveModelOptions {
  /** Registry folder for references like name@production (default: MLOPS_REGISTRY, else .mlops). */
  registry?: string;
  /** Another registry backend; the folder store at `registry` otherwise. */
  store?: RegistryStore;
}

export interface ResolvedModelFile {
  /** Absolute path of the .onnx file to read. */
  path: string;
  /** Set when the model was named by a registry reference: the version, its recorded sha256 and record. */
  registry?: ResolvedModel;
}

/**
 * A model named in a config file (a checklist's `model:`, `baseline:`, `candidate:`):
 * a path is read from the config's folder, a registry reference stays as it is.
 */
export function modelRefIn(baseDir: string, value: string): string {
  return value.includes('/') || value.endsWith('.onnx') ? path.resolve(baseDir, value) : value;
}

export async function resolveModel(ref: string, options: ResolveModelOptions = {}): Promise<ResolvedModelFile> {
  const abs = path.resolve(ref);
  let info: Stats;
  try {
    info = await stat(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === 'ENOENT' || code === 'ENOTDIR') && looksLikeRef(ref)) {
      // Not a file: a registry reference. The registry is read here, once; its hash is checked by the caller on the bytes it reads.
      const { resolveModelRef } = await import('../registry/queries.js');
      const resolved = await resolveModelRef({ ref, registry: options.registry, store: options.store, verify: false });
      return { path: resolved.path, registry: resolved };
    }
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new MlopsError('MODEL_NOT_FOUND', `model file ${ref} does not exist`, {
        hint: 'check the path (relative paths are resolved from the current folder)',
      });
    }
    if (code === 'EACCES')
      throw new MlopsError('MODEL_UNREADABLE', `model file ${ref} is not readable (permission denied)`);
    throw err;
  }
  if (info.isDirectory()) {
    // The ONNX test-data layout keeps model.onnx in a folder: accept the folder.
    const inner = path.join(abs, 'model.onnx');
    const innerInfo = await stat(inner).catch(() => undefined);
    if (innerInfo?.isFile()) return { path: inner };
    throw new MlopsError('MODEL_NOT_FOUND', `${ref} is a folder without a model.onnx in it`, {
      hint: 'pass the .onnx file itself',
    });
  }
  return { path: abs };
}
