/** What crosses between the main thread and the inference worker (see session-worker.ts). */
export type WireTensor = { type: string; dims: number[]; data: unknown };

/** Messages the worker answers with. */
export type WorkerReady = { ready: true } | { ready: false; error: string };
export type RunReply = {
  id: number;
  outputs?: Record<string, WireTensor>;
  error?: string;
  /** The input onnxruntime could not build a tensor from, when that was the error. */
  badInput?: string;
  ms?: number;
};

export interface RunRequest {
  id: number;
  feeds: Record<string, WireTensor>;
  fetch: string[];
  /** Run the feeds in slices of this many rows (a model with a fixed batch size) and concatenate the outputs. */
  split?: number;
}
