import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { modelHistory, showVersion, verifyRegistry } from '../../src/registry/index.js';
import { registerModel } from '../../src/release/index.js';
import { ROOT, runCli } from '../helpers.js';
import { modelVariants, tempDir } from './helpers.js';

function processState(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] ?? '';
  } catch {
    return '';
  }
}

async function until(what: string, done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A register stopped (as SIGSTOP stops it) at `failpoint`, whose lock is then aged as 64 s of
 * SIGSTOP would age it, while `meanwhile` runs another register; then it is resumed.
 */
async function pausedRegister(
  registry: string,
  file: string,
  failpoint: string,
  meanwhile: () => void,
): Promise<{ status: number | null; stderr: string }> {
  const paused = spawn(
    process.execPath,
    [path.join(ROOT, 'bin', 'mlops'), 'registry', 'register', 'm', file, '--registry', registry],
    {
      env: { ...process.env, NO_COLOR: '1', MLOPS_FAILPOINT: `${failpoint}:stop` },
    },
  );
  let stderr = '';
  paused.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => paused.on('close', (code) => resolve(code)));
  try {
    await until('the first register to stop', () => processState(paused.pid!) === 'T');
    // A stopped process refreshes nothing: its lock looks as it would after 64 s of SIGSTOP.
    const minutesAgo = new Date(Date.now() - 120_000);
    utimesSync(path.join(registry, 'lock'), minutesAgo, minutesAgo);
    meanwhile();
  } finally {
    paused.kill('SIGCONT');
  }
  return { status: await exited, stderr };
}

test('a register paused past the stale threshold loses its lock and writes nothing more; the other register takes the number', async () => {
  const registry = tempDir();
  const files = modelVariants(registry, 3);
  await registerModel({ registry, name: 'm', file: files[0] });
  // The first register stops right after renaming its folder into place.
  const { status, stderr } = await pausedRegister(registry, files[1], 'after-commit-version', () => {
    const second = runCli(['registry', 'register', 'm', files[2], '--registry', registry]);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /registered m@2/);
  });
  assert.equal(status, 2, stderr);
  assert.match(stderr, /lost the lock .* before appending to .*history\.jsonl/);
  assert.doesNotMatch(stderr, / {4}at /);

  const events = (await modelHistory({ registry, name: 'm' })).events;
  assert.deepEqual(
    events.map((e) => [e.type, e.type === 'register' ? e.model_version : null]),
    [
      ['register', 1],
      ['register', 2],
    ],
    'one register event per version',
  );
  assert.equal(
    (await showVersion({ registry, ref: 'm@2', verify: true })).source_path,
    files[2],
    'm@2 holds the bytes of the register that recorded it',
  );
  const verify = await verifyRegistry({ registry });
  assert.equal(verify.passed, true, JSON.stringify(verify.problems));
  // The paused register's copy was set aside, not deleted.
  assert.deepEqual(
    verify.problems.map((p) => [p.problem, p.severity]),
    [['orphan', 'warning']],
  );
  const [orphan] = readdirSync(path.join(registry, 'models', 'm', 'orphans'));
  assert.match(orphan, /^2-/);
  assert.deepEqual(
    readFileSync(path.join(registry, 'models', 'm', 'orphans', orphan, 'model.onnx')),
    readFileSync(files[1]),
  );
});

test('a register paused inside its history append (after its last lock check) exits 2, and verify names the version registered twice', async () => {
  const registry = tempDir();
  const files = modelVariants(registry, 3);
  await registerModel({ registry, name: 'm', file: files[0] });
  // Stopped between the lock check and the write: no lock file can fence this off.
  const { status, stderr } = await pausedRegister(registry, files[1], 'append-write', () => {
    const second = runCli(['registry', 'register', 'm', files[2], '--registry', registry]);
    assert.equal(second.status, 0, second.stderr);
  });
  // It must not report success: its event went in while another writer held the lock.
  assert.equal(status, 2, stderr);
  assert.match(stderr, /lost the lock .* while appending to .*history\.jsonl[\s\S]*hint: .*mlops registry verify/);
  const verify = runCli(['registry', 'verify', '--registry', registry, '--json']);
  assert.equal(verify.status, 1, verify.stdout);
  assert.ok(
    JSON.parse(verify.stdout).problems.some(
      (p: { problem: string; model_version: number }) => p.problem === 'duplicate_version' && p.model_version === 2,
    ),
  );
});

test('a complete version folder without its event (history restored from an older backup) fails verify and is never replaced', async () => {
  const registry = tempDir();
  const files = modelVariants(registry, 5);
  for (const f of files.slice(0, 3)) await registerModel({ registry, name: 'm', file: f });
  const history = path.join(registry, 'models', 'm', 'history.jsonl');
  const backup = path.join(registry, 'history.backup');
  copyFileSync(history, backup);
  await registerModel({ registry, name: 'm', file: files[3] });
  copyFileSync(backup, history);

  const verify = runCli(['registry', 'verify', '--registry', registry]);
  assert.equal(verify.status, 1, verify.stdout + verify.stderr);
  assert.match(
    verify.stdout,
    /unregistered_folder m@4: .*versions\/4 holds a complete version .*restore history\.jsonl from a backup/,
  );

  const next = await registerModel({ registry, name: 'm', file: files[4] });
  assert.equal(next.model_version, 5, 'numbered above the folder present');
  assert.deepEqual(
    readFileSync(path.join(registry, 'models', 'm', 'versions', '4', 'model.onnx')),
    readFileSync(files[3]),
    'the real v4 is untouched',
  );
  assert.equal(
    JSON.parse(readFileSync(path.join(registry, 'models', 'm', 'versions', '4', 'version.json'), 'utf8')).version,
    4,
  );
});

test('a failed history append takes the stored copy back out: the registry is as it was', async () => {
  const registry = tempDir();
  const files = modelVariants(registry, 2);
  await registerModel({ registry, name: 'm', file: files[0] });
  const history = path.join(registry, 'models', 'm', 'history.jsonl');
  const before = readFileSync(history, 'utf8');
  const failed = runCli(['registry', 'register', 'm', files[1], '--registry', registry], {
    env: { MLOPS_FAILPOINT: 'append-write:ENOSPC' },
  });
  assert.equal(failed.status, 2, failed.stderr);
  assert.match(failed.stderr, /no space left on the device \(ENOSPC\)[\s\S]*the registry was not changed/);
  assert.equal(existsSync(path.join(registry, 'models', 'm', 'versions', '2')), false, 'no stored copy is left');
  assert.deepEqual(readdirSync(path.join(registry, 'staging')), []);
  assert.equal(readFileSync(history, 'utf8'), before);
  assert.deepEqual((await verifyRegistry({ registry })).problems, []);
  assert.equal((await registerModel({ registry, name: 'm', file: files[1] })).model_version, 2);
});
