import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from 'commander';
import {
  parseBatchSize,
  parseKeyInt,
  parseKeyNumber,
  parseKeyValue,
  parseList,
  parseNonNegative,
  parseNonNegativeInt,
  parseNumber,
  parseOutputFile,
  parseOutputPath,
  parsePositiveInt,
} from '../../src/cli/parsers.js';

const refused = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (err: Error) => err instanceof InvalidArgumentError && message.test(err.message));

test('numbers: finite only, with the range each parser promises', () => {
  assert.equal(parseNumber('1e-3'), 0.001);
  for (const bad of ['', ' ', 'abc', 'NaN', 'Infinity', '1e309']) refused(() => parseNumber(bad), /is not a number/);
  assert.equal(parseNonNegative('0'), 0);
  refused(() => parseNonNegative('-0.1'), /must be >= 0/);
  assert.equal(parsePositiveInt('12'), 12);
  for (const bad of ['0', '-1', '1.5', '1e3', '9007199254740993', 'x'])
    refused(() => parsePositiveInt(bad), /is not a positive integer/);
  assert.equal(parseNonNegativeInt('0'), 0);
  refused(() => parseNonNegativeInt('-1'), /whole number >= 0/);
  assert.equal(parseBatchSize('1000000'), 1_000_000);
  refused(() => parseBatchSize('1000001'), /more than 1,000,000 rows per call/);
});

test('lists: trimmed, repeatable, and a name twice is refused', () => {
  assert.deepEqual(parseList(' a, b ,,c'), ['a', 'b', 'c']);
  assert.deepEqual(parseList('c', ['a', 'b']), ['a', 'b', 'c']);
  refused(() => parseList('a,b,a'), /"a" is listed twice/);
  refused(() => parseList('a', ['a']), /"a" is listed twice/);
});

test('key=value pairs and output paths', () => {
  assert.deepEqual(parseKeyInt('batch=8', { seq: 2 }), { seq: 2, batch: 8 });
  refused(() => parseKeyInt('batch=0'), /a dim name and a positive size/);
  assert.deepEqual(parseKeyValue('team=fraud=x'), { team: 'fraud=x' });
  refused(() => parseKeyValue('=x'), /key=value/);
  assert.deepEqual(parseKeyNumber('auc=0.91'), { auc: 0.91 });
  refused(() => parseKeyNumber('auc='), /a metric name and a number/);
  assert.equal(parseOutputPath('-'), '-');
  refused(() => parseOutputPath(' '), /the path is empty/);
  assert.equal(parseOutputFile('out.csv'), 'out.csv');
  refused(() => parseOutputFile('-'), /"-" \(stdout\) is not supported here/);
});
