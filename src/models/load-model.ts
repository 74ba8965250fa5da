/**
 * Load a model named by a path or a registry reference: its bytes, sha256 and
 * decoded ModelProto (onnx/), plus the registry record with its tags and the
 * feature list recorded with it. Every command that takes a model loads here,
 * so the registry is read once per command.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { sha256Bytes } from '../util/hash.js';
import {
  assertSingleFileSize,
  decodeModel,
  metadataFeatureNames,
  type ModelFile,
  type RecordedFeatures,
} from '../onnx/load-model.js';
import type { VersionRecord } from '../registry/types.js';
import { resolveModel, type ResolveModelOptions } from './resolve-model.js';

export type LoadModelOptions = ResolveModelOptions;
export type { RecordedFeatures };

/** The registry version a reference named; `model_version` as in every --json document. */
export interface RegistryVersion {
  name: string;
  model_version: number;
}

export interface LoadedModel extends ModelFile {
  /** Set when the model was named by a registry reference. */
  registry?: RegistryVersion;
  /** The registry's record of that version (tags, metrics, signature...), read with the reference. */
  record?: VersionRecord;
  /** Feature names recorded with the model: registry tag `features`, else ONNX metadata `feature_names`. */
  recordedFeatures?: RecordedFeatures;
}

export async function loadModel(ref: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const { path: file, registry } = await resolveModel(ref, options);
  const info = await stat(file).catch(() => null);
  const untampered = async (sha256: string | null) => {
    if (registry) (await import('../registry/queries.js')).assertUntampered(registry, sha256);
  };
  if (!info) await untampered(null);
  assertSingleFileSize(file, info?.size ?? 0);
  const bytes = await readFile(file);
  const sha256 = sha256Bytes(bytes);
  // A registry reference is only as good as its hash: refuse a tampered file before decoding it.
  await untampered(sha256);
  const model = decodeModel(bytes, file);
  const metaNames = metadataFeatureNames(model);
  const recordedFeatures: RecordedFeatures | undefined = registry?.features
    ? { names: registry.features, source: 'registry' }
    : metaNames
      ? { names: metaNames, source: 'model metadata' }
      : undefined;
  return {
    path: file,
    dir: path.dirname(file),
    bytes,
    sizeBytes: bytes.length,
    sha256,
    model,
    ...(registry
      ? { registry: { name: registry.name, model_version: registry.model_version }, record: registry.record }
      : {}),
    ...(recordedFeatures ? { recordedFeatures } : {}),
  };
}
