/** Which nodes get quantized, and why the others do not. */
import { getAttribute } from '../onnx/graph.js';
import { toNumber, type GraphProto, type LongLike, type NodeProto, type TensorProto } from '../onnx/proto.js';
import { resolveConstant, type ConstantWeight } from './constants.js';
import { elementTypeName } from '../onnx/data-types.js';

export type TargetKind = 'matmul' | 'matmul-left' | 'gemm' | 'conv';

export interface Target {
  node: NodeProto;
  name: string;
  kind: TargetKind;
  /** Index of the weight among the node's inputs. */
  weightInput: number;
  /** Index of the activation among the node's inputs. */
  activationInput: number;
  weight: ConstantWeight;
}

export interface Skipped {
  name: string;
  op_type: string;
  reason: string;
}

export interface TargetOptions {
  ops: Set<string>;
  exclude: Set<string>;
  minElements: number;
}

export function nodeName(node: NodeProto, index: number): string {
  return node.name || `${node.opType}_${index}`;
}

export function findTargets(graph: GraphProto, options: TargetOptions): { targets: Target[]; skipped: Skipped[] } {
  const initializers = new Map<string, TensorProto>((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const targets: Target[] = [];
  const skipped: Skipped[] = [];
  (graph.node ?? []).forEach((node, index) => {
    const op = node.opType ?? '';
    if (!['MatMul', 'Gemm', 'Conv'].includes(op) || (node.domain && node.domain !== 'ai.onnx')) return;
    const name = nodeName(node, index);
    const skip = (reason: string) => skipped.push({ name, op_type: op, reason });
    if (!options.ops.has(op)) return skip(`${op} not in --ops`);
    if (options.exclude.has(name)) return skip('excluded by --exclude-nodes');
    const inputs = node.input ?? [];
    const constant = (i: number): ConstantWeight | undefined =>
      inputs[i] ? resolveConstant(graph, inputs[i], initializers) : undefined;
    // A weight of another element type is constant too, just not quantizable: say so.
    const otherType = (i: number) => {
      const t = inputs[i] ? initializers.get(inputs[i]) : undefined;
      return t && t.dataType !== 1 ? elementTypeName(t.dataType ?? 0) : undefined;
    };
    const weightIndex =
      op === 'MatMul' && !initializers.has(inputs[1] ?? '') && initializers.has(inputs[0] ?? '') ? 0 : 1;
    if (otherType(weightIndex))
      return skip(`the weight is ${otherType(weightIndex)}; only float32 weights are quantized`);
    let target: Omit<Target, 'weight'> & { weight?: ConstantWeight };
    if (op === 'MatMul') {
      const right = constant(1);
      const left = right ? undefined : constant(0);
      if (right) target = { node, name, kind: 'matmul', weightInput: 1, activationInput: 0, weight: right };
      else if (left) target = { node, name, kind: 'matmul-left', weightInput: 0, activationInput: 1, weight: left };
      else return skip('no constant weight (both inputs are activations)');
      if (target.weight!.dims.length !== 2)
        return skip(`weight has rank ${target.weight!.dims.length}; only 2-D weights are quantized`);
    } else if (op === 'Gemm') {
      if (toNumber(getAttribute(node, 'transA')?.i as LongLike) !== 0) return skip('transA=1 is not supported');
      const weight = constant(1);
      if (!weight) return skip('B is not a constant');
      if (inputs[2] && !constant(2)) return skip('C is not a constant');
      target = { node, name, kind: 'gemm', weightInput: 1, activationInput: 0, weight };
    } else {
      const weight = constant(1);
      if (!weight) return skip('the filter is not a constant');
      if (toNumber(getAttribute(node, 'group')?.i as LongLike) > 1) return skip('grouped convolution is left in float');
      target = { node, name, kind: 'conv', weightInput: 1, activationInput: 0, weight };
    }
    if (target.weight!.data.length < options.minElements)
      return skip(`${target.weight!.data.length} weights, fewer than --min-elements ${options.minElements}`);
    targets.push(target as Target);
  });
  return { targets, skipped };
}

export function gemmAttributes(node: NodeProto): { alpha: number; beta: number; transB: boolean } {
  const f = (name: string, fallback: number) => {
    const a = getAttribute(node, name);
    return a ? (a.f ?? fallback) : fallback;
  };
  return {
    alpha: f('alpha', 1),
    beta: f('beta', 1),
    transB: toNumber(getAttribute(node, 'transB')?.i as LongLike) === 1,
  };
}
