import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ROOT } from '../helpers.js';
import path from 'node:path';
import { ERROR_AREAS, ERROR_CODES, type ErrorCode } from '../../src/util/error-codes.js';
import { FINDING_CODES } from '../../src/check/finding-codes.js';
import { MlopsError } from '../../src/util/errors.js';
import { renderErrorsDoc } from '../../src/report/errors-doc.js';

test('docs/errors.md is generated from the catalogues and up to date (run `npm run docs:errors`)', () => {
  const committed = readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
  assert.equal(committed, renderErrorsDoc(), 'docs/errors.md is out of date: run `npm run docs:errors` and commit it');
});

test('every error code has an area, an exit code and a one-line meaning', () => {
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    assert.match(code, /^[A-Z][A-Z0-9_]*$/, code);
    assert.ok(info.area in ERROR_AREAS, `${code}: area ${info.area}`);
    assert.ok([0, 1, 2, 3].includes(info.exit), `${code}: exit ${info.exit}`);
    assert.ok(info.meaning.length > 10 && !info.meaning.includes('\n'), `${code}: meaning`);
  }
  for (const [code, info] of Object.entries(FINDING_CODES)) {
    assert.ok(info.meaning.length > 10 && !info.meaning.includes('\n'), `${code}: meaning`);
  }
});

test("an MlopsError's exit code is its code's, from the catalogue", () => {
  const cases: Array<[ErrorCode, number]> = [
    ['CSV_BAD_ROW', 2],
    ['TOO_MANY_REJECTS', 1],
    ['REGISTRY_GATE_FAILED', 1],
    ['QUANTIZE_BROKEN_OUTPUT', 3],
    ['OUTPUT_READER_GONE', 0],
  ];
  for (const [code, exit] of cases) assert.equal(new MlopsError(code, 'x').exitCode, exit, code);
  // A re-thrown code keeps its exit code: wrappers pass the code, never a number.
  const inner = new MlopsError('QUANTIZE_NONFINITE', 'inner');
  assert.equal(new MlopsError(inner.code, `outer: ${inner.message}`).exitCode, 1);
});

test('the finding codes and the error codes that check reports do not collide in meaning', () => {
  for (const code of Object.keys(FINDING_CODES))
    assert.ok(!(code in ERROR_CODES), `${code} is both a finding and an error code`);
});
