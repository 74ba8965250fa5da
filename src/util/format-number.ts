/**
 * Shortest decimal that reads back to the same float32, as numpy prints it.
 * JavaScript's String() gives the shortest for doubles; a float32 widened to
 * double would print 17 digits (0.49871239066123962 for 0.4987124).
 *
 * Round-tripping is monotonic in the number of significant digits, so we
 * search from 7 (where most float32 values land) down or up: about two
 * toPrecision calls per value instead of up to nine.
 */
export function formatFloat32(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'inf' : '-inf';
  const f = Math.fround(value);
  let text = f.toPrecision(7);
  if (Math.fround(+text) === f) {
    for (let p = 6; p >= 1; p--) {
      const shorter = f.toPrecision(p);
      if (Math.fround(+shorter) !== f) break;
      text = shorter;
    }
  } else {
    text = f.toPrecision(8);
    if (Math.fround(+text) !== f) text = f.toPrecision(9);
  }
  return tidy(text);
}

/** toPrecision leaves trailing zeros ("1.500") and exponent forms ("1.5e+21"); print like String(). */
function tidy(text: string): string {
  const e = text.indexOf('e');
  if (e < 0) {
    return text.indexOf('.') < 0 ? text : text.replace(/\.?0+$/, '');
  }
  return String(+text);
}

/** Shortest decimal that reads back to the same double (JavaScript's own rule). */
export function formatFloat64(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'inf' : '-inf';
  return String(value);
}
