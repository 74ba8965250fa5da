/**
 * The one place that imports onnxruntime-node, lazily: `mlops --help` and
 * the registry commands must not pay for loading the native runtime.
 */
import type * as Ort from 'onnxruntime-node';

export type OrtModule = typeof Ort;
let ortPromise: Promise<OrtModule> | undefined;

export function loadOrt(): Promise<OrtModule> {
  ortPromise ??= import('onnxruntime-node').then((m) => {
    // Keep onnxruntime's own log lines off our stderr: failures reach us as exceptions.
    m.env.logLevel = 'fatal';
    return m;
  });
  return ortPromise;
}

export async function ortVersion(): Promise<string> {
  return (await loadOrt()).env.versions.node ?? 'unknown';
}
