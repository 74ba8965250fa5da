/** What the HTML report draws per column: overlaid histograms, or category shares. */
export interface ChartData {
  kind: 'histogram' | 'bars';
  /** Histogram bin edges (bins + 1), or category labels. */
  edges?: number[];
  labels?: string[];
  /** Shares (0..1) per bin or category. */
  reference: number[];
  current: number[];
}

const BINS = 30;
const MAX_CATEGORIES = 20;

export function chartData(
  kind: 'numerical' | 'categorical',
  x?: Float64Array,
  y?: Float64Array,
  levels?: string[],
  refCounts?: number[],
  curCounts?: number[],
): ChartData {
  if (kind === 'numerical') {
    const lo = Math.min(x![0], y![0]);
    const hi = Math.max(x![x!.length - 1], y![y!.length - 1]);
    const width = hi > lo ? (hi - lo) / BINS : 1;
    const edges = Array.from({ length: BINS + 1 }, (_, i) => lo + i * width);
    const shares = (v: Float64Array) => {
      const counts = new Array<number>(BINS).fill(0);
      for (const value of v) counts[Math.min(BINS - 1, Math.floor((value - lo) / width))]++;
      return counts.map((c) => c / v.length);
    };
    return { kind: 'histogram', edges, reference: shares(x!), current: shares(y!) };
  }
  const totalRef = refCounts!.reduce((a, b) => a + b, 0) || 1;
  const totalCur = curCounts!.reduce((a, b) => a + b, 0) || 1;
  const order = levels!
    .map((_, i) => i)
    .sort((a, b) => refCounts![b] + curCounts![b] - refCounts![a] - curCounts![a])
    .slice(0, MAX_CATEGORIES);
  return {
    kind: 'bars',
    labels: order.map((i) => levels![i]),
    reference: order.map((i) => refCounts![i] / totalRef),
    current: order.map((i) => curCounts![i] / totalCur),
  };
}
