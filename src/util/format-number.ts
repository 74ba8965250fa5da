/**
 * Shortest decimal that reads back to the same float32. JavaScript's
 * Number#toString gives the shortest for doubles; float32 values need
 * their own search (at most 9 significant digits are ever needed).
 */
export function formatFloat32(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const f = Math.fround(value);
  for (let digits = 1; digits <= 9; digits++) {
    const text = f.toPrecision(digits);
    if (Math.fround(Number(text)) === f) return String(Number(text));
  }
  return String(f);
}

/** Shortest decimal that reads back to the same double (JavaScript's own rule). */
export function formatFloat64(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'inf' : '-inf';
  return String(value);
}
