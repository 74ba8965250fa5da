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
import { warmUp } from './warm-up.js';

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
  /** Where a worker's death and its replacement are reported (the ServedModel that holds this version). */
  onWorkerEvent?: (event: WorkerEvent) => void;
  /** Set once the version is released: a worker that dies then is not replaced. */
  retired?: boolean;
}

/** A worker of a live version ended unasked (`replaced`: a new one took its place, or why not). */
export interface WorkerEvent {
  modelVersion: number | null;
  /** Why the worker ended (its exit code, and its error if it threw one). */
  error: string;
  replaced: boolean;
  /** Time to start the replacement, ms; or why it could not start. */
  ms: number;
  restartError?: string;
  /** Starts tried so far for this death (a failed start is retried with a growing delay). */
  attempt: number;
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
  const live: LiveVersion & { name: string } = {
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
  for (const runner of runners) superviseRunner(live, runner, () => workerRunner(prepared, options.threads));
  return live;
}

const RESTART_DELAYS_MS = [0, 250, 1000, 5000];

/**
 * When a worker of `live` dies, its batch has already failed (500, once); the runner leaves the
 * batcher at once and a new worker for the same version takes its place, so the requests after
 * it succeed instead of failing forever. A start that fails is retried with a growing delay.
 */
function superviseRunner(live: LiveVersion, runner: Runner, start: () => Promise<Runner>): void {
  const replace = async (error: string) => {
    for (let attempt = 1; !live.retired; attempt++) {
      const started = performance.now();
      const ms = () => Math.round(performance.now() - started);
      let fresh: Runner | undefined;
      try {
        fresh = await start();
        let died: Error | undefined;
        fresh.onExit?.((e) => (died = e));
        // A failed warm-up is not fatal here either: the version's other workers answer the same model.
        await warmUp({ signature: live.signature, runners: [fresh] });
        if (died) throw new Error(`the new worker died during its warm-up (${died.message})`);
        if (live.retired) return void (await fresh.release());
        const slot = live.runners.indexOf(runner);
        if (slot >= 0) live.runners[slot] = fresh;
        else live.runners.push(fresh);
        live.batcher.addRunner(fresh);
        superviseRunner(live, fresh, start);
        live.onWorkerEvent?.({ modelVersion: live.modelVersion, error, replaced: true, ms: ms(), attempt });
        return;
      } catch (err) {
        await fresh?.release().catch(() => {});
        const restartError = err instanceof Error ? err.message : String(err);
        live.onWorkerEvent?.({
          modelVersion: live.modelVersion,
          error,
          replaced: false,
          ms: ms(),
          restartError,
          attempt,
        });
        const delay = RESTART_DELAYS_MS[Math.min(attempt, RESTART_DELAYS_MS.length - 1)];
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  };
  runner.onExit?.((death) => {
    live.batcher.removeRunner(runner);
    void replace(death.message);
  });
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

  private readonly workerListeners = new Set<(event: WorkerEvent) => void>();
  private readonly swapListeners = new Set<(next: LiveVersion) => void>();
  /** Workers that died unasked, each counted once however many starts its replacement took. */
  workerDeaths = 0;

  constructor(
    readonly name: string,
    readonly ref: string,
    first: LiveVersion,
  ) {
    this.live = first;
    this.adopt(first);
  }

  private adopt(live: LiveVersion): void {
    live.onWorkerEvent = (event) => {
      if (event.attempt === 1) this.workerDeaths++;
      for (const listener of this.workerListeners) {
        try {
          listener(event);
        } catch {
          // A listener's trouble is its own.
        }
      }
    };
  }

  /** Called when a worker dies and when its replacement starts (or fails to); returns the unsubscribe. */
  onWorkerEvent(listener: (event: WorkerEvent) => void): () => void {
    this.workerListeners.add(listener);
    return () => this.workerListeners.delete(listener);
  }

  /**
   * Called synchronously when a version is swapped in, before any request can reach it (metrics
   * attach to its batcher here, so its first batch is counted); returns the unsubscribe.
   */
  onSwap(listener: (next: LiveVersion) => void): () => void {
    this.swapListeners.add(listener);
    return () => this.swapListeners.delete(listener);
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
    this.adopt(next);
    for (const listener of this.swapListeners) {
      try {
        listener(next);
      } catch {
        // A listener's trouble is its own.
      }
    }
    this.live = next;
    while (old.batcher.pending > 0) await new Promise((r) => setTimeout(r, 10));
    old.retired = true;
    await Promise.all(old.runners.map((r) => r.release()));
    return old;
  }

  async close(): Promise<void> {
    this.live.retired = true;
    await Promise.all(this.live.runners.map((r) => r.release()));
  }
}
