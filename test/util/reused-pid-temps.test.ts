import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers.js';
import { FOREIGN_TEMP_STALE_MS, removeStaleTemps } from '../../src/util/fs-atomic.js';
import { ownerTag } from '../../src/util/process-owner.js';

test('a temporary of a live pid in our namespace that was not touched for the stale threshold is removed (the pid was reused)', async () => {
  const dir = tempDir('mlops-reused-');
  const target = path.join(dir, 'out.csv');
  // pid 1 is always alive here: a container's main process on every run.
  const oldLivePid = path.join(dir, `.out.csv.tmp-${ownerTag()}-1-0011aabb`);
  const freshLivePid = path.join(dir, `.out.csv.tmp-${ownerTag()}-1-2233ccdd`);
  for (const f of [oldLivePid, freshLivePid]) writeFileSync(f, 'x');
  const old = new Date(Date.now() - FOREIGN_TEMP_STALE_MS - 60_000);
  utimesSync(oldLivePid, old, old);
  assert.deepEqual(await removeStaleTemps(target), [oldLivePid]);
  assert.ok(existsSync(freshLivePid), 'a live owner touches its file every minute: a fresh one stays');
});
