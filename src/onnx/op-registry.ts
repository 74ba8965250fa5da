/** Which operators exist in which opset, from the onnx package's schemas. */
import { MAX_OPSET, ONNX_IR_VERSION, OP_SINCE_VERSIONS } from './op-schemas.generated.js';

export { MAX_OPSET as ONNX_MAX_OPSET, ONNX_IR_VERSION };

/** Domains whose operator lists we know (the ONNX standard ones). */
export function isStandardDomain(domain: string): boolean {
  return domain in OP_SINCE_VERSIONS;
}

export type OpStatus =
  | { status: 'ok'; sinceVersion: number }
  | { status: 'unknown-op' }
  | { status: 'not-yet-defined'; firstVersion: number };

/** The schema version an opset selects for an op: the newest since_version <= opset. */
export function resolveOp(domain: string, opType: string, opsetVersion: number): OpStatus {
  const versions = OP_SINCE_VERSIONS[domain]?.[opType];
  if (!versions) return { status: 'unknown-op' };
  let since: number | undefined;
  for (const v of versions) if (v <= opsetVersion) since = v;
  return since === undefined
    ? { status: 'not-yet-defined', firstVersion: versions[0] }
    : { status: 'ok', sinceVersion: since };
}
