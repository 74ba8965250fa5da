/** Round half to even, as numpy.round: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
