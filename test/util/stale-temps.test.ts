import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, fixture, runCli, tempDir } from '../helpers.js';
import { removeStaleTemps } from '../../src/util/fs-atomic.js';
import { ownerTag } from '../../src/util/process-owner.js';

const temps = (dir: string) => readdirSync(dir).filter((f) => f.includes('.tmp-'));

test('a SIGKILLed predict-batch leaves a temporary file that the next run writing that output removes', async () => {
  const dir = tempDir('mlops-kill-');
  const lines = readFileSync(fixture('data', 'mlp.csv'), 'utf8').trimEnd().split('\n');
  const big = path.join(dir, 'big.csv');
  writeFileSync(big, [lines[0], ...Array.from({ length: 500 }, () => lines.slice(1).join('\n'))].join('\n') + '\n');
  const out = path.join(dir, 'preds.csv');
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'mlops'),
      'predict-batch',
      fixture('models', 'mlp.onnx'),
      '--input',
      big,
      '--output',
      out,
      '--keep',
      'id',
    ],
    { stdio: 'ignore' },
  );
  let done = false;
  const exited = new Promise((resolve) => child.once('exit', resolve)).then(() => (done = true));
  while (temps(dir).length === 0 && !done) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  await exited;
  assert.equal(temps(dir).length, 1, 'the killed run left its temporary file');
  assert.equal(existsSync(out), false);

  const again = runCli([
    'predict-batch',
    fixture('models', 'mlp.onnx'),
    '--input',
    fixture('data', 'mlp.csv'),
    '--output',
    out,
    '--keep',
    'id',
  ]);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(temps(dir), []);
  assert.equal(readFileSync(out, 'utf8').split('\n').length, 202);
});

test("stale temporaries: a dead owner here is removed; another namespace's file only once it is old", async () => {
  const dir = tempDir('mlops-stale-');
  const target = path.join(dir, 'out.csv');
  const deadHere = path.join(dir, `.out.csv.tmp-${ownerTag()}-999999999-0011aabb`);
  const foreignFresh = path.join(dir, '.out.csv.tmp-0badc0de-1-0011aabb');
  const foreignOld = path.join(dir, '.out.csv.tmp-0badc0de-2-0011aabb');
  const untaggedOld = path.join(dir, '.out.csv.tmp-3-0011aabb');
  const otherTarget = path.join(dir, `.other.csv.tmp-${ownerTag()}-999999999-0011aabb`);
  const mineLive = path.join(dir, `.out.csv.tmp-${ownerTag()}-${process.pid}-0011aabb`);
  for (const f of [deadHere, foreignFresh, foreignOld, untaggedOld, otherTarget, mineLive]) writeFileSync(f, 'x');
  const old = new Date(Date.now() - 11 * 60_000);
  utimesSync(foreignOld, old, old);
  utimesSync(untaggedOld, old, old);
  const removed = await removeStaleTemps(target);
  // mineLive carries this process's pid but is not one of its open outputs: a pid reused after a kill.
  assert.deepEqual(removed.sort(), [deadHere, foreignOld, untaggedOld, mineLive].sort());
  assert.ok(existsSync(foreignFresh) && existsSync(otherTarget));
});
