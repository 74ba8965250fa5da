/** "Did you mean" suggestions for a name the user mistyped (node names, columns, ops). */

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * Candidates close to `name`, best first: same letters in another case, one
 * containing the other (`fc1` for `/fc1/Gemm`), or a few edits away.
 */
export function closeMatches(name: string, candidates: Iterable<string>, max = 3): string[] {
  const lower = name.toLowerCase();
  const scored: Array<[string, number]> = [];
  for (const c of new Set(candidates)) {
    const cl = c.toLowerCase();
    const distance = editDistance(lower, cl);
    const contains = lower.length >= 2 && (cl.includes(lower) || lower.includes(cl));
    if (cl === lower) scored.push([c, 0]);
    else if (contains) scored.push([c, 1 + Math.abs(cl.length - lower.length) / 1000]);
    else if (distance <= Math.max(2, Math.floor(lower.length / 3))) scored.push([c, 2 + distance]);
  }
  // A candidate that differs only by case or contains the name beats any spelling guess.
  const strong = scored.some(([, score]) => score < 2);
  return scored
    .filter(([, score]) => !strong || score < 2)
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, max)
    .map(([c]) => c);
}
