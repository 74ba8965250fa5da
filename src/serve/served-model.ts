/**
 * One model the server answers for: a registry reference or a file, loaded
 * through models/ (sha256-checked), compiled in worker threads (inference
 * never runs on the event loop), with its batcher. `swap` replaces the live
 * version atomically: requests already holding the old one finish on it.
 */
import path from 'node:path';
import { loadModel, type RecordedFeatures } from '../models/load-model.js';
import type { ValueSignature } from '../onnx/graph.js';
import { stripZipMap, type ZipMapRewrite } from '../onnx/zipmap.js';
import { type ModelSignature, prepareModel } from '../runtime/session.js';
import { type Runner, workerRunner } from '../runtime/worker-session.js';
import { Batcher, type BatcherOptions } from './batcher.js';

export interface LiveVersion {
  /** The registry version, or null for a file. */
  modelVersion: number | null;
  sha256: string;
  signature: ModelSignature;
  zipmaps: ZipMapRewrite[];
  /** Feature names recorded with the model (registry tag or ONNX metadata), for /invocations' column mapping. */
  recordedFeatures?: RecordedFeatures;
  batcher: Batcher;
  runners: Runner[];
  loadedAt: Date;
  loadMs: number;
  /** Feature names recorded with the model (registry tag or metadata): the prediction log's column names. */
  featureNames?: string[];
}

export interface ServeModelOptions {
  /** Registry folder or postgres:// URL for references. */
  registry?: string;
  /** Inference workers per model, each with `threads` onnxruntime threads. */
  instances: number;
  threads: number;
  batcher: Omit<BatcherOptions, 'batching'>;
}

/** The name a model is served under: the registry name, or a file's base name without .onnx. */
export function servedName(ref: string, registryName: string | undefined): string {
  return registryName ?? path.basename(ref).replace(/\.onnx$/i, '');
}

/** A first axis the batcher may join rows along: free in every input and tensor output. */
function freeFirstAxis(values: ValueSignature[]): boolean {
  return values.every((v) => v.shape !== null && v.shape.length > 0 && typeof v.shape[0] !== 'number');
}

export async function loadVersion(ref: string, options: ServeModelOptions): Promise<LiveVersion & { name: string }> {
  const started = performance.now();
  const loaded = await loadModel(ref, { registry: options.registry });
  let zipmaps: ZipMapRewrite[] = [];
  const prepared = await prepareModel(loaded, { transform: (m) => (zipmaps = stripZipMap(m)) });
  const startedRunners = await Promise.allSettled(
    Array.from({ length: options.instances }, () => workerRunner(prepared, options.threads)),
  );
  const runners = startedRunners.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = startedRunners.find((s) => s.status === 'rejected');
  if (failed) {
    // A version that cannot start every worker is not served: the ones that started are released.
    await Promise.all(runners.map((r) => r.release()));
    throw failed.reason;
  }
  const { signature } = prepared;
  const fetch = signature.tensorOutputs.map((o) => o.name);
  const batching = freeFirstAxis(signature.inputs) && freeFirstAxis(signature.tensorOutputs);
  const batcher = new Batcher(runners, fetch, { ...options.batcher, batching });
  return {
    name: servedName(ref, loaded.registry?.name),
    modelVersion: loaded.registry?.model_version ?? null,
    sha256: loaded.sha256,
    signature,
    zipmaps,
    ...(loaded.recordedFeatures ? { recordedFeatures: loaded.recordedFeatures } : {}),
    batcher,
    runners,
    loadedAt: new Date(),
    loadMs: performance.now() - started,
    ...(loaded.recordedFeatures ? { featureNames: loaded.recordedFeatures.names } : {}),
  };
}

/** What one reload did, for the log and for metrics. */
export interface ReloadEvent {
  ok: boolean;
  /** The alias that moved (production), and the versions from and to. */
  alias: string;
  from: number | null;
  to: number;
  /** Load, checks and warm-up, in ms. */
  ms: number;
  /** Why the new version was refused (ok false). */
  error?: string;
}

export class ServedModel {
  private live: LiveVersion;
  private readonly reloadListeners = new Set<(event: ReloadEvent) => void>();
  /** Reloads so far, both outcomes (metrics read them). */
  reloadsSucceeded = 0;
  reloadsFailed = 0;

  constructor(
    readonly name: string,
    readonly ref: string,
    first: LiveVersion,
  ) {
    this.live = first;
  }

  get current(): LiveVersion {
    return this.live;
  }

  /** Called after every reload, succeeded or refused; returns the unsubscribe. */
  onReload(listener: (event: ReloadEvent) => void): () => void {
    this.reloadListeners.add(listener);
    return () => this.reloadListeners.delete(listener);
  }

  /** The reloader reports here: counters first, then listeners (a failing listener cannot stop the others). */
  reported(event: ReloadEvent): void {
    if (event.ok) this.reloadsSucceeded++;
    else this.reloadsFailed++;
    for (const listener of this.reloadListeners) {
      try {
        listener(event);
      } catch {
        // A listener's trouble is its own.
      }
    }
  }

  /** Make `next` the version new requests get; the old one is released once its requests are answered. */
  async swap(next: LiveVersion): Promise<LiveVersion> {
    const old = this.live;
    this.live = next;
    while (old.batcher.pending > 0) await new Promise((r) => setTimeout(r, 10));
    await Promise.all(old.runners.map((r) => r.release()));
    return old;
  }

  async close(): Promise<void> {
    await Promise.all(this.live.runners.map((r) => r.release()));
  }
}
