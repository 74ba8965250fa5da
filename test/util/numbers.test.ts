import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFloat32, formatFloat64 } from '../../src/util/format-number.js';
import { parseDecimal, scanDecimal, scanState } from '../../src/table/fast-number.js';

/**
 * The definition: the fewest significant digits that read back to the same
 * float32; when f lies exactly halfway between two such decimals, the even
 * one (numpy's choice; toPrecision would round the tie up).
 */
function shortestByDefinition(f: number): string {
  // The exact decimal value of f (a float32 in this range has far fewer than 100 digits).
  const [mantissa, exponent] = Math.abs(f).toExponential(99).split('e');
  const digits = mantissa.replace('.', '').replace(/0+$/, '');
  for (let p = 1; p <= 9; p++) {
    const up = f.toPrecision(p);
    const tie = digits.length === p + 1 && digits[p] === '5';
    const down = `${f < 0 ? '-' : ''}${digits[0]}${p > 1 ? `.${digits.slice(1, p)}` : ''}e${exponent}`;
    // Halfway: the even neighbour if it reads back, else the other one.
    const candidates = !tie ? [up] : Number(digits[p - 1]) % 2 === 0 ? [down, up] : [up, down];
    for (const text of candidates) if (Math.fround(Number(text)) === f) return String(Number(text));
  }
  throw new Error('unreachable');
}

test('formatFloat32 gives the shortest round-tripping decimal for random float32 bit patterns', () => {
  const bits = new Uint32Array(1);
  const view = new Float32Array(bits.buffer);
  let seed = 12345;
  for (let i = 0; i < 200_000; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    bits[0] = seed;
    const f = view[0];
    if (!Number.isFinite(f) || f === 0) continue;
    assert.equal(formatFloat32(f), shortestByDefinition(f), `bits 0x${seed.toString(16)}`);
  }
});

test('formatFloat32 edge values print like numpy', () => {
  const cases: Array<[number, string]> = [
    [0.1, '0.1'],
    [1.5, '1.5'],
    [100, '100'],
    [16777216, '16777216'],
    [-2.5e-7, '-2.5e-7'],
    [3.4028234663852886e38, '3.4028235e+38'],
    [1.401298464324817e-45, '1e-45'],
    [1e21, '1e+21'],
    [0, '0'],
    [-0, '-0'],
    [NaN, 'NaN'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [0.4987123906612396, '0.4987124'],
  ];
  for (const [value, text] of cases) assert.equal(formatFloat32(value), text, String(value));
});

test('parseDecimal and scanDecimal give exactly what Number() gives, or defer', () => {
  let seed = 99;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < 100_000; i++) {
    const text = ((next() - 0.5) * 10 ** Math.floor(next() * 12 - 6)).toPrecision(1 + Math.floor(next() * 15));
    const v = parseDecimal(text, 0, text.length);
    if (v !== undefined) assert.ok(Object.is(v, Number(text)), text);
    const bytes = Buffer.from(`${text},rest`);
    const s = scanDecimal(bytes, 0, bytes.length);
    if (!Number.isNaN(s)) {
      assert.ok(Object.is(s, Number(text)), text);
      assert.equal(scanState.end, text.length, 'stops at the comma');
    }
  }
  for (const text of ['', '-', 'abc', '1.2.3', '1e', '0x10', ' 1', '1 ', 'nan', '1e400', '12345678901234567']) {
    assert.equal(parseDecimal(text, 0, text.length), undefined, JSON.stringify(text));
    assert.ok(Number.isNaN(scanDecimal(Buffer.from(text), 0, text.length)), JSON.stringify(text));
  }
});

test('formatFloat64 keeps the sign of zero and spells infinities as numpy does', () => {
  assert.deepEqual([-0, 0, 0.1, -1e-300, Infinity, -Infinity, NaN].map(formatFloat64), [
    '-0',
    '0',
    '0.1',
    '-1e-300',
    'inf',
    '-inf',
    'NaN',
  ]);
  assert.equal(formatFloat32(-0), '-0');
});

test('formatFloat32 breaks exact decimal ties towards the even digit, as numpy does', () => {
  // Both 162489.12 and 162489.13 read back to this float32; numpy prints 162489.12.
  assert.equal(formatFloat32(162489.125), '162489.12');
  assert.equal(formatFloat32(-1716473.25), '-1716473.2');
  assert.equal(formatFloat32(0.5), '0.5');
});

test("formatFloat16: shortest digits that read back to the same half, numpy's choice on ties", async () => {
  const { numberToHalf } = await import('../../src/util/float16.js');
  const { formatFloat16 } = await import('../../src/util/format-number.js');
  const cases: Array<[number, string]> = [
    [0.1, '0.1'],
    [0.015625, '0.01563'],
    [65504, '65500'],
    [2 ** -24, '6e-8'],
    [-2.5, '-2.5'],
    [1e6, 'inf'],
    [-0, '-0'],
  ];
  for (const [value, text] of cases) assert.equal(formatFloat16(numberToHalf(value)), text, String(value));
  // Every finite half reads back from its text to the same bits.
  for (let bits = 0; bits < 0x10000; bits++) {
    if ((bits & 0x7c00) === 0x7c00) continue;
    assert.equal(numberToHalf(Number(formatFloat16(bits))), bits, `bits ${bits}`);
  }
});
