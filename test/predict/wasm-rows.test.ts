import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchEncoder, type EncodedBatch, type Reject } from '../../src/predict/encode.js';
import type { ColumnRole, InputBinding, PredictPlan } from '../../src/predict/plan.js';
import type { RowChunk } from '../../src/table/row-reader.js';
import { random } from '../../src/util/random.js';
import { FloatRowParser } from '../../src/table/wasm/csv-floats.js';

/**
 * The WebAssembly row parser (src/table/wasm/csv-floats.c) must give what the JavaScript scan gives,
 * value for value (bits, so -0 and NaN count), kept text for kept text, reject for reject: the same
 * rows go through BatchEncoder with `wasm` on and off.
 */

/** Fields of every kind the scan meets: plain decimals, long ones, exponents, signs, junk, missing values. */
function field(rand: () => number): string {
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 10)).join('');
  const sign = ['', '', '-', '+'][Math.floor(rand() * 4)];
  switch (Math.floor(rand() * 16)) {
    case 0:
      return `${sign}${digits(1 + Math.floor(rand() * 20))}`; // up to 20 digits: past 2^53
    case 1:
      return `${sign}${digits(Math.floor(rand() * 3))}.${digits(Math.floor(rand() * 18))}`; // ".5", "12.", "."
    case 2:
      return `${sign}${digits(1 + Math.floor(rand() * 3))}.${digits(Math.floor(rand() * 8))}e${['', '-', '+'][Math.floor(rand() * 3)]}${digits(Math.floor(rand() * 6))}`;
    case 3:
      return `${sign}0.${'0'.repeat(Math.floor(rand() * 25))}${digits(1 + Math.floor(rand() * 4))}`; // leading zeros
    case 4:
      return ['', 'NaN', 'nan', 'NA', ' 1.5', '1.5 ', 'inf', '-Infinity', '1e400', '3.4e39', '0x10', '1_0'][
        Math.floor(rand() * 12)
      ];
    case 5:
      return `${sign}${digits(1)}.${digits(6)}E${digits(2)}`;
    case 6:
      return `${sign}0.0`;
    default:
      return `${sign}${digits(1)}.${digits(6)}`;
  }
}

function chunkOf(lines: string[]): RowChunk {
  const buf = Buffer.from(lines.join('\n'), 'utf8');
  const starts = new Int32Array(lines.length);
  const ends = new Int32Array(lines.length);
  let at = 0;
  lines.forEach((line, r) => {
    starts[r] = at;
    ends[r] = at + Buffer.byteLength(line);
    at = ends[r] + 1;
  });
  return {
    count: lines.length,
    buf,
    starts,
    ends,
    records: null,
    malformed: null,
    lines: Int32Array.from(lines, (_, r) => r + 2),
    bytesRead: buf.length,
  };
}

/** Columns: id (kept), f0..f3 into input 0, g (kept and fed, input 1), skip. */
function plan(): PredictPlan {
  const header = ['id', 'f0', 'f1', 'f2', 'f3', 'g', 'skip'];
  const bindings: InputBinding[] = [
    { name: 'x', type: 'float32', kind: 'float', columns: [1, 2, 3, 4], dims: (n) => [n, 4] },
    { name: 'y', type: 'float32', kind: 'float', columns: [5], dims: (n) => [n, 1] },
  ];
  const roles: ColumnRole[] = header.map(() => ({ input: -1, offset: 0, kind: 'string', keep: -1 }));
  bindings.forEach((b, bi) =>
    b.columns.forEach((c, offset) => (roles[c] = { input: bi, offset, kind: 'float', keep: -1 })),
  );
  roles[0].keep = 0;
  roles[5].keep = 1;
  return { bindings, roles, keep: [0, 5], mode: 'matrix', featureSource: '--features', warnings: [] };
}

function encodeAll(lines: string[], wasm: boolean, allowMissing: boolean, capacity: number) {
  const header = ['id', 'f0', 'f1', 'f2', 'f3', 'g', 'skip'];
  const encoder = new BatchEncoder(
    { file: 'mixed.csv', header, plan: plan(), onError: 'skip', allowMissing, wasm },
    capacity,
  );
  const chunk = chunkOf(lines);
  const batches: EncodedBatch[] = [];
  const rejects: Reject[] = [];
  let r = 0;
  while (r < chunk.count) {
    r = encoder.add(chunk, r);
    rejects.push(...encoder.takeRejects());
    if (encoder.full) batches.push(encoder.finish());
  }
  batches.push(encoder.finish());
  assert.equal(encoder.wasmRows > 0, wasm, `wasm ${wasm}: ${encoder.wasmRows} rows through the WebAssembly parser`);
  return { batches, rejects };
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

test('the WebAssembly row parser gives the JavaScript scan its values, kept text and rejects, row for row', () => {
  const rand = random(16);
  for (const allowMissing of [false, true]) {
    const lines = Array.from({ length: 6000 }, (_, i) => {
      const fields = [`id${i}`, field(rand), field(rand), field(rand), field(rand), field(rand), field(rand)];
      const roll = rand();
      if (roll < 0.02)
        fields.pop(); // too few fields
      else if (roll < 0.04)
        fields.push('extra'); // too many
      else if (roll < 0.05) fields[0] = ''; // an empty kept cell
      return fields.join(',');
    });
    for (const capacity of [1, 7, 1024]) {
      const js = encodeAll(lines, false, allowMissing, capacity);
      const wasm = encodeAll(lines, true, allowMissing, capacity);
      assert.deepEqual(wasm.rejects, js.rejects, `rejects, capacity ${capacity}`);
      assert.equal(wasm.batches.length, js.batches.length);
      wasm.batches.forEach((b, i) => {
        const j = js.batches[i];
        assert.deepEqual([b.rows, b.firstLine, b.lastLine], [j.rows, j.firstLine, j.lastLine], `batch ${i}`);
        assert.deepEqual(b.kept.toTexts(b.rows * 2), j.kept.toTexts(j.rows * 2), `kept, batch ${i}`);
        for (const name of ['x', 'y'])
          assert.deepEqual(bits(b.feeds[name].data as Float32Array), bits(j.feeds[name].data as Float32Array), name);
      });
      // The mix must reach both paths: rows the parser takes and rows it hands back.
      const taken = js.batches.reduce((n, b) => n + b.rows, 0);
      assert.ok(taken > 500 && js.rejects.length > 500, `${taken} rows taken, ${js.rejects.length} rejected`);
    }
  }
});

test('the WebAssembly row parser reads the plain decimals of a benchmark-like file exactly as Number() then float32', () => {
  const rand = random(7);
  const values: number[] = [];
  const lines = Array.from({ length: 3000 }, (_, i) => {
    const row = Array.from({ length: 5 }, () => ((rand() - 0.5) * 10 ** Math.floor(rand() * 8 - 3)).toFixed(6));
    values.push(...row.slice(0, 5).map(Number));
    return [i, ...row, 'x'].join(',');
  });
  const { batches, rejects } = encodeAll(lines, true, false, 4096);
  assert.equal(rejects.length, 0);
  const x = batches[0].feeds.x.data as Float32Array;
  const y = batches[0].feeds.y.data as Float32Array;
  for (let r = 0; r < 3000; r++) {
    for (let c = 0; c < 4; c++) assert.equal(x[r * 4 + c], Math.fround(values[r * 5 + c]), `row ${r} f${c}`);
    assert.equal(y[r], Math.fround(values[r * 5 + 4]), `row ${r} g`);
  }
});

test('a batch whose floats pass the WebAssembly region is parsed in parts, as the JavaScript scan parses it', () => {
  // 1,500 rows of 1,000 floats: 6 MB, past the 4 MiB region, so the parser takes them about 1,000 at a time.
  const rand = random(3);
  const width = 1000;
  const header = Array.from({ length: width }, (_, c) => `c${c}`);
  const bindings: InputBinding[] = [
    {
      name: 'x',
      type: 'float32',
      kind: 'float',
      columns: header.map((_, c) => c),
      dims: (n) => [n, width],
    },
  ];
  const roles: ColumnRole[] = header.map((_, c) => ({ input: 0, offset: c, kind: 'float', keep: -1 }));
  const wide: PredictPlan = { bindings, roles, keep: [], mode: 'matrix', featureSource: '--features', warnings: [] };
  const lines = Array.from({ length: 1500 }, () => header.map(() => ((rand() - 0.5) * 100).toFixed(4)).join(','));
  const encode = (wasm: boolean) => {
    const encoder = new BatchEncoder(
      { file: 'wide.csv', header, plan: wide, onError: 'fail', allowMissing: false, wasm },
      1500,
    );
    const chunk = chunkOf(lines);
    assert.equal(encoder.add(chunk, 0), 1500);
    assert.equal(encoder.wasmRows > 0, wasm);
    return encoder.finish();
  };
  assert.deepEqual(bits(encode(true).feeds.x.data as Float32Array), bits(encode(false).feeds.x.data as Float32Array));
});

test('the parser holds at most 4 MiB of floats whatever the batch: 140,000 rows of 4,000 floats once overflowed its layout', () => {
  const columns = Array.from({ length: 4000 }, (_, c) => ({ input: 0, offset: c, keep: -1 }));
  const parser = new FloatRowParser(columns, [4000], 140_000);
  assert.ok(parser.capacity >= 1 && parser.capacity * 4000 * 4 <= 4 << 20, `capacity ${parser.capacity}`);
  const row = Buffer.from(columns.map((_, c) => `${c}.5`).join(','));
  assert.equal(parser.parse(row, Int32Array.of(0), Int32Array.of(row.length), 0, 1), 1);
  assert.equal(parser.floatsOf(0, 1)[3999], 3999.5);
});
