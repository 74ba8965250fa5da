/** Benchmark input: rows x (id + 30 float features), six decimals (about the note's 282 MB per million rows). */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export async function writeFeatureCsv(file: string, rows: number, features = 30, seed = 1): Promise<void> {
  let state = seed >>> 0;
  const gaussian = () => {
    // Box-Muller on a xorshift stream: cheap, reproducible, roughly N(0, 1).
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const u = (state + 1) / 4294967297;
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const v = (state + 1) / 4294967297;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const header = ['id', ...Array.from({ length: features }, (_, i) => `f${i}`)].join(',');
  await writeLines(file, header, rows, (r) => {
    let line = String(r + 1);
    for (let f = 0; f < features; f++) line += ',' + gaussian().toFixed(6);
    return line;
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await writeFeatureCsv(process.argv[2], Number(process.argv[3] ?? 1_000_000));
}

/**
 * An iris-like table for the light-model benchmark: id + the four iris measurements with one decimal,
 * drawn around each species' means (rows cycle through the three species), about 26 bytes per row.
 */
export async function writeIrisCsv(file: string, rows: number, seed = 7): Promise<void> {
  const means = [
    [5.0, 3.4, 1.5, 0.2],
    [5.9, 2.8, 4.3, 1.3],
    [6.6, 3.0, 5.6, 2.0],
  ];
  const sd = [0.4, 0.35, 0.4, 0.2];
  let state = seed >>> 0;
  const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) + 1) / 4294967297;
  await writeLines(file, 'id,sepal_length,sepal_width,petal_length,petal_width', rows, (r) => {
    let line = String(r + 1);
    for (let f = 0; f < 4; f++) {
      const z = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
      line += ',' + Math.max(0.1, means[r % 3][f] + z * sd[f]).toFixed(1);
    }
    return line;
  });
}

/** A header and `rows` lines made by `line`, written in 1 MB pieces with back-pressure. */
async function writeLines(file: string, header: string, rows: number, line: (r: number) => string): Promise<void> {
  const out = createWriteStream(file);
  out.write(header + '\n');
  let buffer = '';
  for (let r = 0; r < rows; r++) {
    buffer += line(r) + '\n';
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.write(buffer);
  out.end();
  await once(out, 'finish');
}
