/** --format chosen one way in every command; --json is its short alias; a format a command does not print is a usage error. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CommanderError, type Command } from 'commander';
import { buildProgram } from '../../src/cli.js';
import { captureOptions } from '../../src/cli/shape.js';
import { fixture, runCli, tempDir } from '../helpers.js';

const model = fixture('models', 'mlp.onnx');
const data = fixture('data', 'mlp.csv');

/** Every command that runs something: all but groups without options of their own (`registry`). */
function leaves(cmd: Command, names: string[] = []): Array<{ names: string[]; cmd: Command }> {
  const own = names.length && (cmd.commands.length === 0 || cmd.options.length > 0) ? [{ names, cmd }] : [];
  return [...own, ...cmd.commands.flatMap((c) => leaves(c, [...names, c.name()]))];
}

/** What each command prints besides table and json. */
const MORE: Record<string, string[]> = { drift: ['markdown', 'html'], checklist: ['junit', 'markdown'] };
/** Commands that print no table: `registry watch` prints JSON lines only, `serve` only a JSON error when it cannot start. */
const ONLY: Record<string, string[]> = { 'registry watch': ['json'], serve: ['json'] };

test('every command has --format and --json (checklist init writes a file and has neither)', () => {
  const all = leaves(buildProgram()).filter((l) => l.names.join(' ') !== 'checklist init');
  assert.ok(all.length >= 16, all.map((l) => l.names.join(' ')).join(', '));
  for (const { names, cmd } of all) {
    const flags = cmd.options.map((o) => o.long);
    assert.ok(flags.includes('--format') && flags.includes('--json'), `${names.join(' ')}: ${flags.join(' ')}`);
    const offered = ONLY[names.join(' ')] ?? ['table', 'json', ...(MORE[names[0]] ?? [])];
    const listed = offered.length > 1 ? `${offered.slice(0, -1).join(', ')} or ${offered.at(-1)}` : offered[0];
    assert.match(
      cmd.helpInformation(),
      // Any whitespace between words: commander wraps help text to the width of the longest flag.
      new RegExp(`output format: ${listed}`.replace('table', 'table \\(default\\)').replace(/ /g, '\\s+')),
      names.join(' '),
    );
  }
});

test('a format a command does not print is a usage error naming the ones it does', async () => {
  for (const { names } of leaves(buildProgram()).filter((l) => l.names.join(' ') !== 'checklist init')) {
    const wrong = names[0] === 'checklist' ? 'html' : 'junit';
    await assert.rejects(
      captureOptions(buildProgram(), [...names, '--format', wrong]),
      (err: unknown) =>
        err instanceof CommanderError &&
        err.exitCode !== 0 &&
        new RegExp(
          `${names.join(' ')} does not print "${wrong}"; choose ${ONLY[names.join(' ')] ? 'json' : 'table(, | or )json'}`,
        ).test(err.message),
      names.join(' '),
    );
  }
  const r = runCli(['inspect', model, '--format', 'markdown']);
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /^error: option '--format <format>' argument 'markdown' is invalid\. inspect does not print "markdown"; choose table or json\./,
  );
  const j = runCli(['predict-batch', model, '--input', data, '--format', 'html', '--json']);
  assert.equal(j.status, 2);
  assert.equal(
    JSON.parse(j.stdout).error.code,
    'OPTION_INVALID',
    'asked for JSON: the usage error is a JSON document too, with the code the library gives a bad value',
  );
  const both = runCli(['drift', '--reference', data, '--current', data, '--markdown', '--json']);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /error: --json and --markdown ask for different output formats: give one/);
  assert.equal(JSON.parse(both.stdout).error.exit_code, 2);
});

/** Timings differ between two runs; timestamps and the registry copy's path too. */
function comparable(text: string, dirs: string[]): unknown {
  let t = text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'WHEN');
  for (const d of dirs) t = t.split(d).join('DIR');
  return JSON.parse(t, (key, value) =>
    typeof value === 'number' && /(ms|_per_s|_per_second|rss_bytes|speedup)$/.test(key) ? 0 : value,
  );
}

test('--format json prints exactly what --json prints, in every command', () => {
  const dir = tempDir('mlops-format-');
  const registry = path.join(dir, 'reg');
  for (let i = 0; i < 3; i++)
    assert.equal(runCli(['registry', 'register', 'm', model, '--allow-duplicate', '--registry', registry]).status, 0);
  for (const v of ['1', '2'])
    assert.equal(runCli(['registry', 'promote', `m@${v}`, '--to', 'staging', '--registry', registry]).status, 0);
  const config = path.join(dir, 'c.yml');
  writeFileSync(config, 'checks:\n  - id: size\n    type: max_size_mb\n    max: 10\n');
  const reads: string[][] = [
    ['inspect', model],
    ['check', model],
    ['drift', '--reference', data, '--current', data, '--min-values', '2'],
    ['bench', model, '--batch-size', '1', '--iterations', '2', '--warmup', '0'],
    ['quantize', model, '--output', path.join(dir, 'q.onnx')],
    ['checklist', '--config', config, '--model', model],
    ['predict-batch', model, '--input', data, '--output', path.join(dir, 'p.csv')],
    ...[['list'], ['show', 'm@1'], ['history', 'm'], ['verify'], ['path', 'm@1'], ['policy']].map((a) => [
      'registry',
      ...a,
      '--registry',
      registry,
    ]),
  ];
  for (const args of reads) {
    const a = runCli([...args, '--json']);
    const b = runCli([...args, '--format', 'json']);
    assert.equal(a.status, b.status, args.join(' '));
    assert.equal(JSON.parse(a.stdout).version, 1, `${args.join(' ')}: ${a.stderr}`);
    assert.deepEqual(comparable(b.stdout, [dir]), comparable(a.stdout, [dir]), args.join(' '));
  }
  // Commands that change the registry: each spelling on its own copy of the same registry.
  const writes = [
    ['register', 'm', model, '--allow-duplicate'],
    ['promote', 'm@1', '--to', 'production'],
    ['archive', 'm@3'],
    ['rollback', 'm', '--alias', 'staging'],
    ['policy', 'production', '--require', 'staging'],
  ];
  for (const args of writes) {
    const [ra, rb] = ['a', 'b'].map((s) => {
      const copy = path.join(dir, `${args[0]}-${s}`);
      cpSync(registry, copy, { recursive: true });
      return copy;
    });
    const a = runCli(['registry', ...args, '--registry', ra, '--json']);
    const b = runCli(['registry', ...args, '--registry', rb, '--format', 'json']);
    assert.equal(a.status, 0, `${args.join(' ')}: ${a.stderr}`);
    assert.equal(b.status, 0, `${args.join(' ')}: ${b.stderr}`);
    assert.deepEqual(comparable(b.stdout, [rb]), comparable(a.stdout, [ra]), args.join(' '));
  }
});

test('checklist --format junit and drift --format markdown/html are the old --format junit, --markdown and --html -', () => {
  const drift = ['drift', '--reference', data, '--current', data, '--min-values', '2'];
  assert.equal(runCli([...drift, '--format', 'markdown']).stdout, runCli([...drift, '--markdown']).stdout);
  const html = runCli([...drift, '--format', 'html']);
  assert.equal(html.status, 0, html.stderr);
  assert.match(html.stdout, /^<!doctype html>/);
  assert.equal(html.stdout.length, runCli([...drift, '--html', '-']).stdout.length);
});

test('checklist init prints YAML or nothing: a report format given to it is refused, not ignored', async () => {
  for (const flags of [['--json'], ['--format', 'junit']]) {
    const r = await runCli(['checklist', 'init', '--output', '-', ...flags]);
    assert.equal(r.status, 2, flags.join(' '));
    assert.match(r.stderr, /checklist init writes a starter YAML file; it has no (json|junit) output/);
  }
  const yaml = await runCli(['checklist', 'init', '--output', '-']);
  assert.equal(yaml.status, 0);
  assert.match(yaml.stdout, /^checks:/m);
});
