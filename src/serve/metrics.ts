/**
 * The server's Prometheus metrics, in base units (seconds, rows) and with
 * bounded labels only: model, version, endpoint (one of a fixed set, never
 * the raw path), status. prom-client is imported when a server starts, so
 * nothing else in mlops pays for it. Reload code calls `recordReload` and
 * `recordLoad`; the server records requests, queue and inference times.
 */
import type { Batcher } from './batcher.js';

export interface BatchTiming {
  queueMs: number;
  inferMs: number;
  batchRows: number;
}

export interface ServeMetrics {
  /** The exposition's content type (text format 0.0.4). */
  readonly contentType: string;
  render(): Promise<string>;
  /** One request answered: its duration by model, version, endpoint and status. */
  observeRequest(labels: RequestLabels, seconds: number): void;
  /** A request entered / left the server (the in-flight gauge). */
  requestStarted(): void;
  requestFinished(): void;
  /** The time one request waited in the batcher's queue. */
  observeQueue(model: string, version: string, timing: BatchTiming): void;
  /** Per batch (not per request): inference time and rows, through the batcher's hook; once per version, when it is loaded or swapped in. */
  watchBatcher(batcher: Batcher, model: string, version: string): void;
  /** A version finished loading (first load or reload) in `seconds`. */
  recordLoad(model: string, seconds: number): void;
  /** A reload (alias moved) succeeded or failed; a failed one keeps the old version. */
  recordReload(model: string, ok: boolean): void;
  /** Sampled rows the prediction log could not keep (its queue was full). */
  recordLogDropped(rows: number): void;
  /** An inference worker died unasked (`replaced` false: no replacement started yet). */
  recordWorkerExit(model: string, replaced: boolean): void;
}

export interface RequestLabels {
  model: string;
  version: string;
  endpoint: string;
  status: number;
}

/** Seconds: from 0.5 ms (an idle single-row infer) to 10 s (a deadline). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const ROW_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];

const ENDPOINTS: Array<[RegExp, string]> = [
  [/^\/v2\/health\/live$/, 'health_live'],
  [/^\/v2\/health\/ready$/, 'health_ready'],
  [/^\/v2$/, 'server_metadata'],
  [/^\/v2\/models\/[^/]+(?:\/versions\/[^/]+)?\/infer$/, 'infer'],
  [/^\/v2\/models\/[^/]+(?:\/versions\/[^/]+)?\/ready$/, 'model_ready'],
  [/^\/v2\/models\/[^/]+(?:\/versions\/[^/]+)?$/, 'model_metadata'],
  [/^\/invocations$/, 'invocations'],
  [/^\/ping$/, 'ping'],
  [/^\/health$/, 'health'],
  [/^\/version$/, 'version'],
  [/^\/metrics$/, 'metrics'],
];

/** The endpoint label of a path: a fixed name, or `other` (a scanner's random paths never make new series). */
export function endpointOf(pathname: string): string {
  const p = pathname.replace(/\/+$/, '') || '/';
  for (const [re, name] of ENDPOINTS) if (re.test(p)) return name;
  return 'other';
}

export async function createMetrics(modelNames: string[]): Promise<ServeMetrics> {
  const prom = await import('prom-client');
  const registry = new prom.Registry();
  // Event-loop lag, GC, heap, CPU, open handles: the proof that inference stays off the loop.
  prom.collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const requestSeconds = new prom.Histogram({
    name: 'mlops_serve_request_duration_seconds',
    help: 'Time from a request arriving to its answer, by model, version, endpoint and status',
    labelNames: ['model', 'version', 'endpoint', 'status'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const queueSeconds = new prom.Histogram({
    name: 'mlops_serve_queue_duration_seconds',
    help: "Time a request's rows waited in the batcher before their batch ran",
    labelNames: ['model', 'version'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const inferSeconds = new prom.Histogram({
    name: 'mlops_serve_inference_duration_seconds',
    help: 'Time one batch took in onnxruntime (in a worker thread)',
    labelNames: ['model', 'version'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const batchRows = new prom.Histogram({
    name: 'mlops_serve_batch_rows',
    help: 'Rows per inference batch (rows of concurrent requests joined by the batcher)',
    labelNames: ['model', 'version'],
    buckets: ROW_BUCKETS,
    registers,
  });
  const inFlight = new prom.Gauge({
    name: 'mlops_serve_requests_in_flight',
    help: 'Requests accepted and not yet answered',
    registers,
  });
  const loadSeconds = new prom.Gauge({
    name: 'mlops_serve_model_load_seconds',
    help: 'How long the live version of each model took to load (read, sha256, compile in its workers)',
    labelNames: ['model'],
    registers,
  });
  const reloads = new prom.Counter({
    name: 'mlops_serve_reloads_total',
    help: 'Reloads after an alias moved, by result: succeeded (swapped in) or failed (the old version kept serving)',
    labelNames: ['model', 'result'],
    registers,
  });
  const logDropped = new prom.Counter({
    name: 'mlops_serve_prediction_log_dropped_rows_total',
    help: 'Sampled rows the prediction log dropped: its write queue was full (the disk is slower than the traffic) or a write failed',
    registers,
  });
  const workerExits = new prom.Counter({
    name: 'mlops_serve_worker_restarts_total',
    help: 'Inference workers that died unasked (crash, out of memory, terminate), by result: replaced (a new worker for the same version took its place) or failed (a start failed; it is retried)',
    labelNames: ['model', 'result'],
    registers,
  });
  // Zero series from the start: an alert on increase() needs a sample before the first reload.
  for (const model of modelNames) for (const result of ['succeeded', 'failed']) reloads.inc({ model, result }, 0);
  for (const model of modelNames) for (const result of ['replaced', 'failed']) workerExits.inc({ model, result }, 0);
  const watched = new WeakSet<Batcher>();
  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    observeRequest: ({ model, version, endpoint, status }, seconds) =>
      requestSeconds.observe({ model, version, endpoint, status: String(status) }, seconds),
    requestStarted: () => inFlight.inc(),
    requestFinished: () => inFlight.dec(),
    observeQueue: (model, version, timing) => queueSeconds.observe({ model, version }, timing.queueMs / 1000),
    watchBatcher(batcher, model, version) {
      if (watched.has(batcher)) return;
      watched.add(batcher);
      batcher.onBatch = (rows, inferMs) => {
        batchRows.observe({ model, version }, rows);
        inferSeconds.observe({ model, version }, inferMs / 1000);
      };
    },
    recordLoad: (model, seconds) => loadSeconds.set({ model }, seconds),
    recordReload: (model, ok) => reloads.inc({ model, result: ok ? 'succeeded' : 'failed' }),
    recordLogDropped: (rows) => logDropped.inc(rows),
    recordWorkerExit: (model, replaced) => workerExits.inc({ model, result: replaced ? 'replaced' : 'failed' }),
  };
}
