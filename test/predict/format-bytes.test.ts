import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Tensor } from '../../src/onnx/tensor.js';
import { formatRows } from '../../src/predict/format.js';
import { formatRowsBytes } from '../../src/predict/format-bytes.js';
import { KeptCells } from '../../src/predict/kept-cells.js';
import { FloatRowsText } from '../../src/table/wasm/float-text.js';
import { formatCount, formatFloat32 } from '../../src/util/format-number.js';

/** Float32 values of every kind the writer meets: plain, tiny, huge, exact ties, signed zeros, non-finite, random bits. */
function awkwardFloats(n: number): Float32Array {
  const data = new Float32Array(n);
  const bits = new Uint32Array(data.buffer);
  let seed = 20261130;
  const next = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  for (let i = 0; i < n; i++) {
    const kind = i % 6;
    if (kind === 0) data[i] = (next() - 0.5) * 10;
    else if (kind === 1) data[i] = next() * 10 ** (Math.floor(next() * 60) - 30);
    else if (kind === 2) data[i] = Math.round(next() * 1e7) / 1000;
    else if (kind === 3) data[i] = Math.round(next() * 1e6) / 8;
    else if (kind === 4) data[i] = -next() * 1e3;
    else bits[i] = (next() * 2 ** 32) >>> 0;
  }
  data.set([
    0,
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    1e-7,
    1e21,
    1e22,
    123456789,
    162489.125,
  ]);
  return data;
}

test('formatRowsBytes writes the same bytes as formatRows, kept columns and all', () => {
  const rows = 50_000;
  const outputs: Tensor[] = [
    { name: 'a', type: 'float32', dims: [rows, 3], data: awkwardFloats(rows * 3) },
    { name: 'b', type: 'float32', dims: [rows, 1], data: awkwardFloats(rows).reverse() },
  ];
  // Kept cells that need quoting and multi-byte UTF-8 among plain ones.
  const kept = Array.from({ length: rows * 2 }, (_, i) => (i % 7 ? String(i) : `é,"${i}"\n`));
  for (const keepCount of [0, 1, 2]) {
    const text = formatRows(rows, kept, keepCount, outputs, [3, 1], ['a', 'b']);
    const bytes = formatRowsBytes(rows, kept, keepCount, outputs, [3, 1], ['a', 'b']);
    assert.equal(bytes.toString('utf8'), text, `keepCount ${keepCount}`);
  }
});

test('formatRowsBytes falls back to formatRows for outputs that are not float32', () => {
  const outputs: Tensor[] = [
    { name: 'label', type: 'int64', dims: [2], data: new BigInt64Array([1n, -2n]) as never },
    { name: 'p', type: 'float32', dims: [2, 1], data: new Float32Array([0.25, 0.75]) },
  ];
  const bytes = formatRowsBytes(2, ['x', 'y'], 1, outputs, [1, 1], ['label', 'p']);
  assert.equal(bytes.toString('utf8'), 'x,1,0.25\ny,-2,0.75\n');
});

test('the WebAssembly float writer gives the JavaScript writer its bytes, and hands back only rows past its range', () => {
  const rows = 40_000;
  const a = awkwardFloats(rows * 2);
  const outputs: Tensor[] = [
    { name: 'a', type: 'float32', dims: [rows, 2], data: a },
    { name: 'b', type: 'float32', dims: [rows, 1], data: awkwardFloats(rows).reverse() },
  ];
  const kept = Array.from({ length: rows }, (_, i) => `r${i}`);
  for (const keepCount of [0, 1]) {
    const viaWasm = formatRowsBytes(rows, kept, keepCount, outputs, [2, 1], ['a', 'b']);
    const viaJs = formatRowsBytes(rows, kept, keepCount, outputs, [2, 1], ['a', 'b'], false);
    assert.ok(viaWasm.equals(viaJs), `keepCount ${keepCount}`);
  }
  const { text, ends } = new FloatRowsText().format(rows, [a], [2])!;
  const handedBack = ends.filter((e) => e === -1).length;
  // Random bits give magnitudes past 1e22 or under 1e-14 in about one row in six: those, and only those, come back.
  assert.ok(handedBack > 0 && handedBack < rows / 3, `${handedBack} rows handed back`);
  let from = 0;
  ends.forEach((end, r) => {
    if (end < 0) {
      const big = [a[2 * r], a[2 * r + 1]].some((v) => {
        const m = Math.abs(v);
        return Number.isFinite(m) && m !== 0 && (m >= 1e22 || m < 1e-14);
      });
      assert.ok(big, `row ${r} (${a[2 * r]}, ${a[2 * r + 1]}) handed back`);
      return;
    }
    assert.equal(
      Buffer.from(text.subarray(from, end)).toString(),
      `${formatFloat32(a[2 * r])},${formatFloat32(a[2 * r + 1])}\n`,
    );
    from = end;
  });
});

test('kept cells given as byte ranges are written as their text would be: copied when plain, quoted or decoded otherwise', () => {
  // Cells as the WebAssembly parser hands them over: ranges of a read buffer. CR, a quote, a comma,
  // UTF-8, invalid UTF-8 (decoded to U+FFFD, as the text path does) and plain ids.
  const raw = ['id7', 'a\rb', 'x"y', 'p,q', 'é', '', 'plain-123'];
  const parts = [...raw.map((t) => Buffer.from(t)), Buffer.from([0x61, 0xff, 0x62])];
  const buf = Buffer.concat(parts);
  const rows = parts.length;
  const cells = new KeptCells(rows);
  let at = 0;
  parts.forEach((p, i) => {
    cells.setBytes(i, buf, at, at + p.length);
    at += p.length;
  });
  const outputs: Tensor[] = [{ name: 'p', type: 'float32', dims: [rows, 1], data: new Float32Array(rows).fill(0.5) }];
  const texts = cells.toTexts(rows);
  assert.equal(texts[7], 'a\ufffdb');
  const bytes = formatRowsBytes(rows, cells, 1, outputs, [1], ['p']);
  assert.equal(bytes.toString('utf8'), formatRows(rows, texts, 1, outputs, [1], ['p']));
  assert.match(
    bytes.toString('utf8'),
    /^id7,0\.5\n"a\rb",0\.5\n"x""y",0\.5\n"p,q",0\.5\né,0\.5\n,0\.5\nplain-123,0\.5\na\ufffdb,0\.5\n$/,
  );
});

test('formatCount writes integers as toLocaleString("en-US") does', () => {
  for (const n of [0, 7, 999, 1000, 1234567, -1000, -999999, 2 ** 53 - 1, 12345678901])
    assert.equal(formatCount(n), n.toLocaleString('en-US'), String(n));
});

test('a batch larger than the WebAssembly region is written in parts, the same bytes', () => {
  // 300,000 rows of 3 values: about 21 MB of text at most, past the 4 MiB region, so several calls.
  const rows = 300_000;
  const outputs: Tensor[] = [{ name: 'a', type: 'float32', dims: [rows, 3], data: awkwardFloats(rows * 3) }];
  const kept = Array.from({ length: rows }, (_, i) => String(i));
  for (const keepCount of [0, 1]) {
    const viaWasm = formatRowsBytes(rows, kept, keepCount, outputs, [3], ['a']);
    const viaJs = formatRowsBytes(rows, kept, keepCount, outputs, [3], ['a'], false);
    assert.ok(viaWasm.equals(viaJs), `keepCount ${keepCount}`);
  }
});

test('kept cells of every length up to past the first buffer guess: the comma after one that fills the buffer is not lost', () => {
  // The writer's buffer starts at a guess from the row count; a first kept cell ending exactly at its end
  // once lost the comma after it to uninitialised memory. Every length from 1 to 400 crosses that edge.
  const outputs: Tensor[] = [{ name: 'p', type: 'float32', dims: [1, 2], data: new Float32Array([0.5, -1.25]) }];
  for (let n = 1; n <= 400; n++) {
    for (const cells of [
      ['a'.repeat(n), 'bob'],
      [String(n), 'x'.repeat(n), 'y'],
    ]) {
      const keep = cells.length;
      const want = formatRows(1, cells, keep, outputs, [2], ['p']);
      assert.equal(formatRowsBytes(1, cells, keep, outputs, [2], ['p']).toString(), want, `length ${n}`);
      const buf = Buffer.from(cells.join(''));
      const kept = new KeptCells(keep);
      let at = 0;
      cells.forEach((c, i) => {
        kept.setBytes(i, buf, at, at + c.length);
        at += c.length;
      });
      assert.equal(formatRowsBytes(1, kept, keep, outputs, [2], ['p']).toString(), want, `length ${n}, bytes`);
    }
  }
});
