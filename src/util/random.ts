/**
 * A seeded random number generator (mulberry32): tiny, fast and the same on
 * every run, for samples and synthesized inputs that must be reproducible.
 * It lives in util/ so that table/ (reservoir samples) and runtime/ (smoke-run
 * inputs) share it without one layer importing the other.
 */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
