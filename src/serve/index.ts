/**
 * `serve(options)`: load every model (a registry reference or a file), start
 * the HTTP server, and return a handle to stop it. The library never prints:
 * request lines and notes go to `log`.
 */
import { MAX_INSTANCES, unreachableName } from './limits.js';
import path from 'node:path';
import { availableCores } from '../runtime/cores.js';
import { MlopsError } from '../util/errors.js';
import { createMetrics, type ServeMetrics } from './metrics.js';
import { PredictionLog } from './prediction-log.js';
import { followAliases, type RunningReloads } from './alias-reloader.js';
import { loadVersion, ServedModel } from './served-model.js';
import { startServer } from './server.js';
import { warmUp } from './warm-up.js';

export interface ServeOptions {
  /** Registry references (fraud@production) or .onnx files. */
  models: string[];
  /** Names in URLs, one per model (default: the registry name, or the file's base name). */
  names?: string[];
  registry?: string;
  host?: string;
  port?: number;
  maxBatchRows?: number;
  maxQueueDelayMs?: number;
  maxQueueRows?: number;
  instances?: number;
  threads?: number;
  maxBodyBytes?: number;
  timeoutMs?: number;
  token?: string;
  version?: string;
  log?: (line: Record<string, unknown>) => void;
  /** Serve `/metrics` (Prometheus text format); default true. */
  metrics?: boolean;
  /** Append sampled rows (inputs, then outputs) to this CSV file; with several models, one file each (FILE.<name>.csv). */
  logPredictions?: string;
  /** Share of rows logged, 0..1 (default 1). */
  sampleRate?: number;
  /** Rotate the log past this size (default 100 MiB). */
  logMaxBytes?: number;
  /** Rotated logs kept (default 5). */
  logKeep?: number;
  /** Draws for sampling (tests pass a seeded one). */
  logRandom?: () => number;
}

export interface ServeHandle {
  url: string;
  port: number;
  models: ServedModel[];
  /** The metrics reload code reports to (`recordReload`, `recordLoad`); absent with `metrics: false`. */
  metrics?: ServeMetrics;
  /** The prediction logs by model name (flush them to read what is written). */
  predictionLogs: Map<string, PredictionLog>;
  /** Drain (readiness 503, accepted requests finish within `drainMs`), then release the models. */
  close(drainMs?: number): Promise<void>;
}

export async function serve(options: ServeOptions): Promise<ServeHandle> {
  if (!options.models.length)
    throw new MlopsError('OPTION_MISSING', 'serve needs at least one model (a registry reference or an .onnx file)');
  if (options.names && options.names.length !== options.models.length)
    throw new MlopsError(
      'OPTION_INVALID',
      `\`names\` gives ${options.names.length} name(s) for ${options.models.length} model(s): give one per model, in order`,
    );
  for (const name of options.names ?? []) {
    const why = unreachableName(name);
    if (why)
      throw new MlopsError('OPTION_INVALID', `\`names\` ${JSON.stringify(name)} cannot be served: ${why}`, {
        hint: 'use letters, digits, ".", "_", "-" or "~"',
      });
  }
  if (
    options.instances !== undefined &&
    !(Number.isInteger(options.instances) && options.instances >= 1 && options.instances <= MAX_INSTANCES)
  )
    throw new MlopsError(
      'OPTION_INVALID',
      `\`instances\` ${options.instances} is out of range: 1 to ${MAX_INSTANCES} workers per model`,
    );
  if (!options.logPredictions)
    for (const key of ['sampleRate', 'logMaxBytes', 'logKeep'] as const)
      if (options[key] !== undefined)
        throw new MlopsError('OPTION_INVALID', `\`${key}\` sets up the prediction log: give \`logPredictions\` too`);
  // An empty --host "$HOST" would listen on every interface: never by accident.
  if (options.host !== undefined && options.host.trim() === '')
    throw new MlopsError(
      'OPTION_INVALID',
      '`host` is empty: name an address (127.0.0.1, or 0.0.0.0 for every interface)',
    );
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 0 && options.port <= 65535))
    throw new MlopsError(
      'OPTION_INVALID',
      `\`port\` ${options.port} is not a port number (0 to 65535; 0 picks a free one)`,
    );
  const cores = availableCores();
  const modelOptions = {
    registry: options.registry,
    instances: options.instances ?? Math.min(2, cores),
    threads: options.threads ?? Math.max(1, Math.floor(cores / Math.min(2, cores))),
    batcher: {
      maxBatchRows: options.maxBatchRows ?? 64,
      maxQueueDelayMs: options.maxQueueDelayMs ?? 2,
      maxQueueRows: options.maxQueueRows ?? 4096,
    },
  };
  const log = options.log ?? (() => {});
  const models: ServedModel[] = [];
  let reloads: RunningReloads;
  try {
    for (const [i, ref] of options.models.entries()) {
      const live = await loadVersion(ref, modelOptions);
      const name = options.names?.[i] ?? live.name;
      if (models.some((m) => m.name === name)) {
        await Promise.all(live.runners.map((r) => r.release()));
        throw new MlopsError('OPTION_INVALID', `two models would be served as "${name}"`, {
          hint: 'give each its own name with `names`',
        });
      }
      models.push(new ServedModel(name, ref, live));
      // The first request must not pay for onnxruntime's first-run allocations. A model that fails
      // on synthesized rows may still answer real ones: at start that is said, not fatal.
      const warm = await warmUp(live);
      log({
        event: 'load',
        model: name,
        ref,
        model_version: live.modelVersion,
        load_ms: Math.round(live.loadMs),
        ...(!warm.ok
          ? { warmup_error: warm.error }
          : 'ms' in warm
            ? { warmup_ms: warm.ms }
            : { warmup: `skipped: ${warm.skipped}` }),
      });
    }
    // A served name@alias follows its alias from now on.
    reloads = await followAliases(models, { modelOptions, log });
  } catch (err) {
    await Promise.all(models.map((m) => m.close()));
    throw err;
  }
  const metrics = options.metrics === false ? undefined : await createMetrics(models.map((m) => m.name));
  for (const m of models) {
    metrics?.recordLoad(m.name, m.current.loadMs / 1000);
    // Batches are counted from a version's first one: attached at load and when a reload swaps it in.
    metrics?.watchBatcher(m.current.batcher, m.name, String(m.current.modelVersion ?? ''));
    m.onSwap((next) => metrics?.watchBatcher(next.batcher, m.name, String(next.modelVersion ?? '')));
    m.onWorkerEvent((e) => {
      metrics?.recordWorkerExit(m.name, e.replaced);
      log({
        event: 'worker_exit',
        model: m.name,
        model_version: e.modelVersion,
        error: e.error,
        replaced: e.replaced,
        attempt: e.attempt,
        ms: e.ms,
        ...(e.restartError ? { restart_error: e.restartError } : {}),
      });
    });
    // A reload (the alias moved) counts as succeeded or failed; a swapped-in version's load time replaces the old.
    m.onReload((e) => {
      metrics?.recordReload(m.name, e.ok);
      if (e.ok) metrics?.recordLoad(m.name, m.current.loadMs / 1000);
    });
  }
  const predictionLogs = new Map<string, PredictionLog>();
  if (options.logPredictions)
    for (const m of models)
      predictionLogs.set(
        m.name,
        new PredictionLog({
          file: models.length === 1 ? options.logPredictions : perModelFile(options.logPredictions, m.name),
          sampleRate: options.sampleRate ?? 1,
          maxBytes: options.logMaxBytes,
          keep: options.logKeep,
          random: options.logRandom,
          onDropped: (rows) => metrics?.recordLogDropped(rows),
          onError: (err) => log({ prediction_log: m.name, error: err.message }),
        }),
      );
  const server = await startServer(models, {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 8080,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024 * 1024,
    timeoutMs: options.timeoutMs ?? 30_000,
    token: options.token,
    version: options.version ?? '0',
    log,
    metrics,
    predictionLogs,
  }).catch(async (err: NodeJS.ErrnoException) => {
    await reloads.stop();
    await Promise.all(models.map((m) => m.close()));
    if (['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL'].includes(err.code ?? ''))
      throw new MlopsError(
        'OPTION_INVALID',
        `cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 8080}: ${err.code}`,
        {
          hint:
            err.code === 'EADDRINUSE'
              ? 'another process listens there: choose another `port`'
              : 'choose another `host` or `port`',
        },
      );
    throw err;
  });
  return {
    url: server.url,
    port: server.port,
    models,
    metrics,
    predictionLogs,
    async close(drainMs = 30_000) {
      await server.close(drainMs);
      // No reload starts now; one under way finishes (or is dropped) before the models are released.
      await reloads.stop();
      await Promise.all(models.map((m) => m.close()));
      await Promise.all([...predictionLogs.values()].map((l) => l.close()));
    },
  };
}

/** predictions.csv -> predictions.fraud.csv: one log per model, as each has its own columns. */
function perModelFile(file: string, model: string): string {
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}.${model}${ext || '.csv'}`;
}
