/** Quality metrics for the checklist: accuracy, F1, ROC AUC, RMSE, MAE. */

export function accuracy(truth: string[], predicted: string[]): number {
  let right = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) right++;
  return truth.length ? right / truth.length : NaN;
}

/** F1 of the positive class for two classes ("1" when present), macro-averaged otherwise. */
export function f1(truth: string[], predicted: string[]): number {
  const classes = [...new Set([...truth, ...predicted])].sort();
  const score = (positive: string) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < truth.length; i++) {
      if (predicted[i] === positive && truth[i] === positive) tp++;
      else if (predicted[i] === positive) fp++;
      else if (truth[i] === positive) fn++;
    }
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  };
  if (classes.length <= 2) return score(classes.includes('1') ? '1' : classes[classes.length - 1]);
  return classes.reduce((sum, c) => sum + score(c), 0) / classes.length;
}

/** ROC AUC for a binary label (positive: "1", or the larger label) from scores; ties count half (Mann-Whitney). */
export function rocAuc(truth: string[], scores: number[]): number {
  const classes = [...new Set(truth)].sort();
  if (classes.length !== 2) return NaN;
  const positive = classes.includes('1') ? '1' : classes[1];
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  let positives = 0;
  for (let k = 0; k < order.length; ) {
    let end = k;
    while (end + 1 < order.length && order[end + 1][0] === order[k][0]) end++;
    const rank = (k + end) / 2 + 1;
    for (let t = k; t <= end; t++) {
      if (truth[order[t][1]] === positive) {
        rankSum += rank;
        positives++;
      }
    }
    k = end + 1;
  }
  const negatives = truth.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function rmse(truth: number[], predicted: number[]): number {
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += (truth[i] - predicted[i]) ** 2;
  return Math.sqrt(s / truth.length);
}

export function mae(truth: number[], predicted: number[]): number {
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += Math.abs(truth[i] - predicted[i]);
  return s / truth.length;
}
