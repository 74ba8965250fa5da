/**
 * Structural validation in the spirit of onnx.checker: versions and opsets,
 * names, topological order, SSA, initializer data, known operators.
 */
import { allGraphs, normalizeDomain, opsetVersions, subgraphsOf } from '../onnx/graph.js';
import { ONNX_IR_VERSION, ONNX_MAX_OPSET, isStandardDomain, resolveOp } from '../onnx/op-registry.js';
import { toNumber, type GraphProto, type LongLike, type ModelProto, type NodeProto } from '../onnx/proto.js';
import { isExternal, tensorDataProblem } from '../onnx/tensor.js';
import { resolveExternalPath } from '../onnx/external-data.js';
import { isMlopsError } from '../util/errors.js';
import { ORT_MAX_IR_VERSION, ORT_MAX_OPSET, ORT_VERSION, RUNTIME_DOMAINS } from '../runtime/capabilities.js';
import type { Problem } from './problems.js';

type Report = (p: Omit<Problem, 'stage'>) => void;

/** Node label for messages: its name, or op type and position when unnamed. */
export function nodeLabel(node: NodeProto, index: number): string {
  return node.name ? `"${node.name}" (${node.opType})` : `#${index} (${node.opType}, unnamed)`;
}

export function checkStructure(model: ModelProto): Problem[] {
  const problems: Problem[] = [];
  const report: Report = (p) => problems.push({ ...p, stage: 'structure' });
  const ir = toNumber(model.irVersion as LongLike);
  if (!ir) {
    report({
      severity: 'error',
      code: 'MODEL_NO_IR_VERSION',
      message: 'ir_version is not set',
      hint: 'the exporter must set ir_version; re-export the model',
    });
  } else if (ir > ONNX_IR_VERSION) {
    report({
      severity: 'error',
      code: 'MODEL_IR_TOO_NEW',
      message: `ir_version ${ir} is newer than any known ONNX release (newest: ${ONNX_IR_VERSION})`,
    });
  } else if (ir > ORT_MAX_IR_VERSION) {
    report({
      severity: 'error',
      code: 'MODEL_IR_UNSUPPORTED',
      message: `ir_version ${ir} is newer than onnxruntime ${ORT_VERSION} supports (up to ${ORT_MAX_IR_VERSION})`,
      hint: 'export with an older IR version or upgrade onnxruntime',
    });
  }
  const opsets = opsetVersions(model);
  if (ir >= 3 && (model.opsetImport ?? []).length === 0) {
    report({
      severity: 'error',
      code: 'MODEL_NO_OPSET_IMPORT',
      message: 'opset_import is empty',
      hint: 'the model must declare the opset of every operator domain it uses',
    });
  }
  for (const [domain, version] of opsets) {
    const name = domain || 'ai.onnx';
    const known = ONNX_MAX_OPSET[domain];
    const runtimeMax = ORT_MAX_OPSET[domain];
    if (known !== undefined && version > known) {
      report({
        severity: 'error',
        code: 'OPSET_UNKNOWN_VERSION',
        message: `opset ${name} ${version} does not exist (the newest ONNX release defines up to ${known})`,
      });
    } else if (runtimeMax !== undefined && version > runtimeMax) {
      report({
        severity: 'error',
        code: 'OPSET_UNSUPPORTED_BY_RUNTIME',
        message: `opset ${name} ${version} is newer than onnxruntime ${ORT_VERSION} supports (up to ${runtimeMax})`,
        hint: `export with opset_version=${runtimeMax} or lower`,
      });
    } else if (version < 1) {
      report({ severity: 'error', code: 'OPSET_INVALID_VERSION', message: `opset ${name} has version ${version}` });
    }
  }
  const metaKeys = new Set<string>();
  for (const p of model.metadataProps ?? []) {
    if (metaKeys.has(p.key ?? ''))
      report({
        severity: 'error',
        code: 'MODEL_DUPLICATE_METADATA_KEY',
        message: `metadata_props has the key "${p.key}" more than once`,
      });
    metaKeys.add(p.key ?? '');
  }
  if (!model.graph) {
    report({ severity: 'error', code: 'MODEL_NO_GRAPH', message: 'the model has no graph' });
    return problems;
  }
  if (!model.graph.name)
    report({
      severity: 'warning',
      code: 'GRAPH_NO_NAME',
      message: 'the graph has no name (onnx.checker requires one; onnxruntime does not)',
      graph: 'main',
    });
  const functions = new Set((model.functions ?? []).map((f) => `${normalizeDomain(f.domain)}\u0000${f.name}`));
  checkGraph(model.graph, 'main', new Set(), { opsets, functions, report, seenOps: new Set() });
  return problems;
}

interface GraphContext {
  opsets: Map<string, number>;
  functions: Set<string>;
  report: Report;
  /** (domain, op) pairs already reported, so a bad op is reported once, not per node. */
  seenOps: Set<string>;
}

function checkGraph(graph: GraphProto, graphPath: string, outer: ReadonlySet<string>, ctx: GraphContext): void {
  const { report } = ctx;
  const local = new Set<string>();
  for (const input of graph.input ?? []) {
    if (local.has(input.name ?? ''))
      report({
        severity: 'error',
        code: 'GRAPH_DUPLICATE_INPUT',
        message: `graph input "${input.name}" is declared twice`,
        tensor: input.name ?? '',
        graph: graphPath,
      });
    local.add(input.name ?? '');
  }
  const graphInputs = new Set(local);
  const initializerNames = new Set<string>();
  for (const init of graph.initializer ?? []) {
    const name = init.name ?? '';
    if (!name) {
      report({
        severity: 'error',
        code: 'INITIALIZER_NO_NAME',
        message: 'an initializer has an empty name',
        graph: graphPath,
      });
      continue;
    }
    if (initializerNames.has(name))
      report({
        severity: 'error',
        code: 'INITIALIZER_DUPLICATE',
        message: `initializer "${name}" is defined twice`,
        tensor: name,
        graph: graphPath,
      });
    initializerNames.add(name);
    local.add(name);
    const problem = tensorDataProblem(init);
    if (problem)
      report({
        severity: 'error',
        code: 'INITIALIZER_BAD_DATA',
        message: `initializer "${name}": ${problem}`,
        tensor: name,
        graph: graphPath,
        hint: 'the weights do not match their declared shape; the file is damaged or was written by a buggy tool',
      });
  }
  for (const sparse of graph.sparseInitializer ?? []) local.add(sparse.values?.name ?? '');

  const nodes = (graph.node ?? []) as NodeProto[];
  const laterProducers = new Map<string, number>();
  nodes.forEach((node, i) => {
    for (const out of node.output ?? []) if (out && !laterProducers.has(out)) laterProducers.set(out, i);
  });
  const nodeNames = new Set<string>();
  let unsortedReported = 0;
  nodes.forEach((node, i) => {
    const label = nodeLabel(node, i);
    if (node.name) {
      if (nodeNames.has(node.name))
        report({
          severity: 'warning',
          code: 'NODE_DUPLICATE_NAME',
          message: `node name "${node.name}" is used more than once`,
          node: node.name,
          graph: graphPath,
        });
      nodeNames.add(node.name);
    }
    checkOp(node, label, graphPath, ctx);
    for (const input of node.input ?? []) {
      if (!input || local.has(input) || outer.has(input)) continue;
      const producer = laterProducers.get(input);
      if (producer !== undefined && producer > i) {
        if (unsortedReported++ < 5) {
          report({
            severity: 'error',
            code: 'GRAPH_NOT_TOPOLOGICALLY_SORTED',
            message: `node ${label} reads "${input}" before node ${nodeLabel(nodes[producer], producer)} produces it`,
            node: node.name ?? '',
            tensor: input,
            graph: graphPath,
            hint: 'nodes must be stored in topological order; re-save the model with a tool that sorts them',
          });
        }
      } else {
        report({
          severity: 'error',
          code: 'NODE_UNDEFINED_INPUT',
          message: `node ${label} reads "${input}", which no node, initializer or graph input produces`,
          node: node.name ?? '',
          tensor: input,
          graph: graphPath,
        });
      }
    }
    // Subgraphs see everything produced so far in this graph and the outer scopes.
    const subgraphs = subgraphsOf(node);
    if (subgraphs.length) {
      const scope = new Set([...outer, ...local]);
      for (const attr of node.attribute ?? []) {
        const graphs = [...(attr.g ? [attr.g] : []), ...(attr.graphs ?? [])] as GraphProto[];
        graphs.forEach((g, k) =>
          checkGraph(
            g,
            `${graphPath}/${node.name || `#${i}`}.${attr.name}${graphs.length > 1 ? `[${k}]` : ''}`,
            scope,
            ctx,
          ),
        );
      }
    }
    for (const out of node.output ?? []) {
      if (!out) continue;
      if (local.has(out)) {
        const what = graphInputs.has(out)
          ? 'a graph input'
          : initializerNames.has(out)
            ? 'an initializer'
            : 'an earlier node';
        report({
          severity: 'error',
          code: 'NODE_DUPLICATE_OUTPUT',
          message: `node ${label} writes "${out}", which ${what} already defines (each name must be produced once)`,
          node: node.name ?? '',
          tensor: out,
          graph: graphPath,
        });
      }
      local.add(out);
    }
  });
  for (const output of graph.output ?? []) {
    const name = output.name ?? '';
    if (!local.has(name) && !outer.has(name)) {
      report({
        severity: 'error',
        code: 'GRAPH_OUTPUT_NOT_PRODUCED',
        message: `graph output "${name}" is not produced by any node, initializer or input`,
        tensor: name,
        graph: graphPath,
      });
    }
  }
}

function checkOp(node: NodeProto, label: string, graphPath: string, ctx: GraphContext): void {
  const domain = normalizeDomain(node.domain);
  const opType = node.opType ?? '';
  const key = `${domain}\u0000${opType}`;
  if (ctx.seenOps.has(key)) return;
  const report = (p: Omit<Problem, 'stage' | 'node' | 'graph'>) => {
    ctx.seenOps.add(key);
    ctx.report({ ...p, node: node.name ?? '', graph: graphPath });
  };
  const domainName = domain || 'ai.onnx';
  if (!opType) {
    report({ severity: 'error', code: 'NODE_NO_OP_TYPE', message: `node ${label} has no op_type` });
    return;
  }
  const version = ctx.opsets.get(domain);
  if (version === undefined) {
    report({
      severity: 'error',
      code: 'DOMAIN_NOT_IMPORTED',
      message: `node ${label} uses domain ${domainName}, which opset_import does not declare`,
      hint: `add an opset_import entry for ${domainName}`,
    });
    return;
  }
  if (ctx.functions.has(key)) return; // a model-local function defines it
  if (isStandardDomain(domain)) {
    const status = resolveOp(domain, opType, version);
    if (status.status === 'unknown-op') {
      report({
        severity: 'error',
        code: 'OP_UNKNOWN',
        message: `node ${label}: ${opType} is not an operator of ${domainName}`,
      });
    } else if (status.status === 'not-yet-defined') {
      report({
        severity: 'error',
        code: 'OP_NOT_IN_OPSET',
        message: `node ${label}: ${opType} first appears in ${domainName} opset ${status.firstVersion}, but the model imports opset ${version}`,
        hint: `export with opset ${status.firstVersion} or newer`,
      });
    }
    return;
  }
  if (!RUNTIME_DOMAINS.has(domain)) {
    report({
      severity: 'error',
      code: 'OP_CUSTOM_DOMAIN',
      message: `node ${label} is a custom operator (${domainName}::${opType}); onnxruntime cannot run it without that domain's custom-op library`,
      hint: 'replace the op with standard ONNX ops at export, or ship and register the custom-op library',
    });
  }
}

/** External data must stay inside the model folder and exist; needs the file system. */
export async function checkExternalData(model: ModelProto, modelDir: string): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const graph of allGraphs(model)) {
    for (const tensor of graph.initializer ?? []) {
      if (!isExternal(tensor)) continue;
      try {
        await resolveExternalPath(modelDir, tensor);
      } catch (err) {
        if (!isMlopsError(err)) throw err;
        problems.push({
          severity: 'error',
          stage: 'structure',
          code: err.code,
          message: err.message,
          tensor: tensor.name ?? '',
          hint: err.hint,
        });
      }
    }
  }
  return problems;
}
