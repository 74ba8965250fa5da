/** Shapes as text. Kept apart from graph.ts so renderers (registry list/show) need not load the protobuf schema. */

export type Dim = number | string | null;

export function formatShape(shape: Dim[] | null): string {
  if (shape === null) return '?';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}
