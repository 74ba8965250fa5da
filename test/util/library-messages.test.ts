/**
 * Library errors name options as a library caller sets them (`allowMissing`),
 * never as CLI flags; the CLI prints the flags (cli/option-flags.ts). This
 * reads the sources of the libraries already converted and fails on a
 * `--flag` in an MlopsError's message or hint. A hint that spells out a
 * whole command to run (`mlops registry promote x@3 --to prod`) is a recipe
 * for the command line and may name its flags.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers.js';

// Every library folder: all of src/ but the command line (cli/) and the renderers (report/).
const FOLDERS = readdirSync(path.join(ROOT, 'src'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'cli' && entry.name !== 'report')
  .map((entry) => entry.name);
const NOT_YET = new Set<string>();

/** The source text of each `new MlopsError(...)` call, with its line. */
function errorCalls(source: string): Array<{ line: number; text: string }> {
  const calls: Array<{ line: number; text: string }> = [];
  for (let at = source.indexOf('new MlopsError('); at >= 0; at = source.indexOf('new MlopsError(', at + 1)) {
    let i = at + 'new MlopsError('.length;
    for (let depth = 1; depth > 0 && i < source.length; i++)
      depth += source[i] === '(' ? 1 : source[i] === ')' ? -1 : 0;
    calls.push({ line: source.slice(0, at).split('\n').length, text: source.slice(at, i) });
  }
  return calls;
}

test('library error messages and hints name options, not CLI flags', () => {
  const found: string[] = [];
  for (const folder of FOLDERS) {
    for (const name of readdirSync(path.join(ROOT, 'src', folder)).filter((f) => f.endsWith('.ts'))) {
      if (NOT_YET.has(`${folder}/${name}`)) continue;
      for (const call of errorCalls(readFileSync(path.join(ROOT, 'src', folder, name), 'utf8'))) {
        for (const flag of call.text.matchAll(/--[a-z][a-z-]*/g)) {
          // Within the same string literal, after "mlops <command>": a recipe to run.
          const before = call.text.slice(0, flag.index);
          const literal = before.slice(Math.max(before.lastIndexOf("'"), before.lastIndexOf('`')));
          if (/mlops [a-z]/.test(literal) || /mlops [a-z]/.test(before.slice(before.lastIndexOf('hint')))) continue;
          found.push(`src/${folder}/${name}:${call.line}: ${flag[0]}`);
        }
      }
    }
  }
  assert.deepEqual(found, []);
});
