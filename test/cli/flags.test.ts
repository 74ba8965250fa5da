/** The flag declarations helper on its own: defaults, old spellings, --no- pairs, types. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { addFlags, flagSet, readFlags } from '../../src/cli/flags.js';
import { argvWantsJson } from '../../src/cli/format.js';
import { parseList, parsePositiveInt } from '../../src/cli/parsers.js';
import { isMlopsError } from '../../src/util/errors.js';

interface Options {
  size?: number;
  names?: string[];
  mode?: 'a' | 'b';
  fail: boolean;
  progress?: boolean;
}

const FLAGS = flagSet<Options>()({
  size: { flag: '--size <n>', help: 'a size', parse: parsePositiveInt, default: 7, alias: '--old-size <n>' },
  names: { flag: '--names <list>', help: 'names', parse: parseList },
  mode: { flag: '--mode <m>', help: 'a mode', choices: ['a', 'b'] },
  fail: { flag: '--no-fail', help: 'never fail', default: true },
  progress: { flag: '--progress', help: 'show progress', negate: 'hide progress' },
});

function parse(args: string[]): Options {
  const cmd = addFlags(new Command('t').exitOverride().configureOutput({ writeErr: () => {} }), FLAGS);
  cmd.parse(args, { from: 'user' });
  return readFlags(cmd, FLAGS);
}

test('only given or defaulted flags are present, with the declared types', () => {
  assert.deepEqual(parse([]), { size: 7, fail: true });
  assert.deepEqual(parse(['--size', '3', '--names', 'x,y', '--mode', 'b', '--no-fail', '--progress']), {
    size: 3,
    names: ['x', 'y'],
    mode: 'b',
    fail: false,
    progress: true,
  });
  assert.deepEqual(parse(['--no-progress']), { size: 7, fail: true, progress: false });
});

test('an old spelling fills the same option; both spellings together are refused; a default is not a spelling', () => {
  assert.equal(parse(['--old-size', '4']).size, 4);
  assert.throws(
    () => parse(['--old-size', '4', '--size', '4']),
    (err: unknown) =>
      // Two spellings of one flag are options that cannot be combined, not a line that cannot be parsed.
      isMlopsError(err) &&
      err.code === 'OPTIONS_CONFLICT' &&
      /--size and --old-size are the same flag \(--old-size is its old spelling\): give it once/.test(err.message),
  );
  assert.throws(() => parse(['--mode', 'c']), /Allowed choices are a, b/);
  assert.throws(() => parse(['--size', '0']), /"0" is not a positive integer/);
});

test('whether a command line asked for JSON, before it parses', () => {
  assert.equal(argvWantsJson(['inspect', 'm', '--json']), true);
  assert.equal(argvWantsJson(['inspect', 'm', '--format', 'json']), true);
  assert.equal(argvWantsJson(['inspect', 'm', '--format=json']), true);
  assert.equal(argvWantsJson(['inspect', 'm', '--format', 'table']), false);
});
