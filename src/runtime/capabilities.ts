/**
 * What the bundled onnxruntime-node accepts, measured by loading probe models
 * (test/runtime/capabilities.test.ts keeps these true when the runtime is upgraded).
 */
export const ORT_VERSION = '1.30.0';
export const ORT_MAX_IR_VERSION = 13;
export const ORT_MAX_OPSET: Readonly<Record<string, number>> = { '': 26, 'ai.onnx.ml': 5 };

/** Non-standard domains onnxruntime implements itself (contrib ops). */
export const RUNTIME_DOMAINS: ReadonlySet<string> = new Set([
  'com.microsoft',
  'com.microsoft.nchwc',
  'com.microsoft.experimental',
  'com.ms.internal.nhwc',
  'ai.onnx.preview.training',
  'ai.onnx.training',
  'ai.onnx.preview',
]);
