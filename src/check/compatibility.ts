/** Export problems that load fine but bite at serving time. */
import { feedInputs, findProducer, valueSignature } from '../onnx/graph.js';
import type { ModelProto } from '../onnx/proto.js';
import { isZipMap } from '../onnx/zipmap.js';
import { hasExternalData } from '../onnx/load-model.js';
import type { Problem } from './problems.js';

export function checkCompatibility(model: ModelProto): Problem[] {
  const graph = model.graph;
  if (!graph) return [];
  const problems: Problem[] = [];
  const report = (p: Omit<Problem, 'stage'>) => problems.push({ ...p, stage: 'compatibility' });
  for (const input of feedInputs(graph).map(valueSignature)) {
    if (input.kind === 'tensor' && input.shape && input.shape.length >= 1 && input.shape[0] === 1) {
      report({
        severity: 'warning',
        code: 'BATCH_DIM_FIXED',
        tensor: input.name,
        message: `input "${input.name}" has its first (batch) dimension fixed to 1: onnxruntime will refuse batches larger than 1`,
        hint: 'export with a dynamic batch axis (torch.onnx.export(..., dynamic_axes={"input": {0: "batch"}}) or dynamic_shapes)',
      });
    }
    if (input.type === 'float64') {
      report({
        severity: 'warning',
        code: 'INPUT_FLOAT64',
        tensor: input.name,
        message: `input "${input.name}" is float64: callers feeding float32 (the usual case) will be rejected, and double math is slower`,
        hint: 'if the source model works in float32, cast before export (model.float() in torch)',
      });
    }
  }
  for (const output of (graph.output ?? []).map(valueSignature)) {
    if (output.kind === 'tensor') continue;
    const producer = findProducer(graph, output.name);
    if (producer && isZipMap(producer)) {
      report({
        severity: 'info',
        code: 'OUTPUT_ZIPMAP',
        tensor: output.name,
        node: producer.name ?? '',
        message: `output "${output.name}" is a ZipMap ${output.type}; onnxruntime-node cannot return it`,
        hint: 'mlops check and predict-batch replace the ZipMap with its probability tensor (one column per class); to drop it at export use skl2onnx options {"zipmap": False}',
      });
    } else {
      report({
        severity: 'warning',
        code: 'OUTPUT_NOT_TENSOR',
        tensor: output.name,
        message: `output "${output.name}" is a ${output.type}; onnxruntime-node cannot return non-tensor outputs, so only the tensor outputs are checked`,
      });
    }
  }
  if (hasExternalData(model)) {
    report({
      severity: 'info',
      code: 'EXTERNAL_DATA',
      message: 'weights are stored in external data files; ship them with the model',
    });
  }
  return problems;
}
