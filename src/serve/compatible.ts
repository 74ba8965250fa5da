/**
 * May a new version replace the one being served without breaking its
 * clients? Requests valid for the old version must stay valid (same input
 * names and element types; a free dim stays free, a fixed dim keeps its size
 * or becomes free), and answers must keep their form (same outputs, element
 * types and ranks; fixed sizes unchanged).
 */
import type { Dim, ValueSignature } from '../onnx/graph.js';
import type { ModelSignature } from '../runtime/session.js';

const shapeText = (s: Dim[] | null) =>
  s === null ? 'unknown rank' : `[${s.map((d) => (typeof d === 'number' ? d : -1)).join(', ')}]`;
const fixed = (d: Dim): d is number => typeof d === 'number';

function compareValues(
  what: 'input' | 'output',
  old: ValueSignature[],
  next: ValueSignature[],
  dimOk: (o: Dim, n: Dim) => boolean,
): string[] {
  const problems: string[] = [];
  const byName = new Map(next.map((v) => [v.name, v]));
  for (const o of old) {
    const n = byName.get(o.name);
    if (!n) {
      problems.push(`${what} "${o.name}" is gone (the new ${what}s: ${next.map((v) => v.name).join(', ') || 'none'})`);
      continue;
    }
    if (n.kind !== o.kind || n.type !== o.type) problems.push(`${what} "${o.name}" was ${o.type}, is now ${n.type}`);
    else if (o.shape !== null && n.shape !== null) {
      if (o.shape.length !== n.shape.length || !o.shape.every((d, k) => dimOk(d, n.shape![k])))
        problems.push(`${what} "${o.name}" had shape ${shapeText(o.shape)}, now ${shapeText(n.shape)}`);
    } else if (o.shape !== n.shape)
      problems.push(`${what} "${o.name}" had shape ${shapeText(o.shape)}, now ${shapeText(n.shape)}`);
  }
  for (const n of next)
    if (!old.some((o) => o.name === n.name))
      problems.push(`${what} "${n.name}" is new (clients do not send or expect it)`);
  return problems;
}

/** Why `next` cannot replace `old`, one reason per difference; empty when it can. */
export function incompatibilities(old: ModelSignature, next: ModelSignature): string[] {
  return [
    // An input: a free dim must stay free; a fixed one keeps its size or becomes free.
    ...compareValues('input', old.inputs, next.inputs, (o, n) => !fixed(n) || (fixed(o) && o === n)),
    // An output: fixed sizes stay; free ones may become fixed or stay free.
    ...compareValues('output', old.outputs, next.outputs, (o, n) => !fixed(o) || (fixed(n) && o === n)),
  ];
}
