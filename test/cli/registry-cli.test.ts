import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, ROOT, runCli } from '../helpers.js';
import { tempDir } from '../registry/helpers.js';

test('a release job: register, promote to staging, to production with --require, rollback', () => {
  const registry = tempDir();
  const env = {
    MLOPS_REGISTRY: registry,
    GITHUB_ACTOR: 'octocat',
    GITHUB_REPOSITORY: 'acme/models',
    GITHUB_RUN_ID: '42',
    GITHUB_SHA: 'deadbeef',
  };
  const reg1 = runCli(
    [
      'registry',
      'register',
      'fraud',
      fixture('models', 'mlp.onnx'),
      '--description',
      'v1',
      '--tag',
      'team=risk',
      '--metric',
      'auc=0.91',
      '--json',
    ],
    { env },
  );
  assert.equal(reg1.status, 0, reg1.stderr);
  const doc = JSON.parse(reg1.stdout);
  assert.equal(doc.version, 1);
  assert.equal(doc.model_version, 1);
  assert.equal(doc.git_commit, 'deadbeef');
  assert.equal(doc.created_by, 'github:octocat');
  assert.equal(runCli(['registry', 'register', 'fraud', fixture('models', 'cnn.onnx')], { env }).status, 0);

  assert.equal(runCli(['registry', 'promote', 'fraud@1', '--to', 'staging'], { env }).status, 0);
  assert.equal(
    runCli(['registry', 'promote', 'fraud@1', '--to', 'production', '--require', 'staging', '--reason', 'eval ok'], {
      env,
    }).status,
    0,
  );
  const refused = runCli(['registry', 'promote', 'fraud@2', '--to', 'production', '--require', 'staging'], { env });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /error: fraud@2 has never been "staging"/);
  assert.match(refused.stderr, /hint: promote it to staging first/);
  assert.equal(runCli(['registry', 'promote', 'fraud@2', '--to', 'staging'], { env }).status, 0);
  assert.equal(
    runCli(['registry', 'promote', 'fraud@2', '--to', 'production', '--require', 'staging'], { env }).status,
    0,
  );
  const back = runCli(['registry', 'rollback', 'fraud', '--alias', 'production', '--reason', 'latency', '--json'], {
    env,
  });
  assert.equal(back.status, 0, back.stderr);
  assert.deepEqual([JSON.parse(back.stdout).from, JSON.parse(back.stdout).to], [2, 1]);

  const history = JSON.parse(runCli(['registry', 'history', 'fraud', '--json'], { env }).stdout);
  const last = history.events[history.events.length - 1];
  assert.equal(last.action, 'rollback');
  assert.equal(last.reason, 'latency');
  assert.equal(last.ci_url, 'https://github.com/acme/models/actions/runs/42');

  const show = JSON.parse(runCli(['registry', 'show', 'fraud@production', '--json'], { env }).stdout);
  assert.equal(show.model_version, 1);
  assert.deepEqual(show.aliases, ['production']);
  assert.equal(show.signature.inputs[0].name, 'input');
  const p = runCli(['registry', 'path', 'fraud@staging'], { env });
  assert.equal(p.stdout.trim(), path.join(registry, 'models', 'fraud', 'versions', '2', 'model.onnx'));
  const list = JSON.parse(runCli(['registry', 'list', '--json'], { env }).stdout);
  assert.deepEqual(
    list.models.map((m: { name: string; aliases: object }) => [m.name, m.aliases]),
    [['fraud', { production: 1, staging: 2 }]],
  );
  assert.equal(runCli(['registry', 'verify'], { env }).status, 0);

  // Every model command takes references.
  const check = runCli(['check', 'fraud@production', '--json'], { env });
  assert.equal(check.status, 0, check.stderr);
  assert.deepEqual(JSON.parse(check.stdout).model.registry, { name: 'fraud', model_version: 1 });
  assert.equal(runCli(['inspect', 'fraud@2', '--registry', registry]).status, 0);
});

test('registry errors are exit 2 with a hint; verify exits 1 on damage', () => {
  const registry = tempDir();
  const env = { MLOPS_REGISTRY: registry };
  const bad = runCli(['registry', 'register', '../x', fixture('models', 'mlp.onnx')], { env });
  assert.equal(bad.status, 2);
  assert.match(
    bad.stderr,
    /error: invalid model name "\.\.\/x": "\/" is not allowed\nhint: model names use lowercase letters/,
  );
  const missing = runCli(['registry', 'show', 'nope'], { env });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /model "nope" is not in the registry/);
  const noFile = runCli(['registry', 'register', 'm', 'nope.onnx'], { env });
  assert.equal(noFile.status, 2);
  assert.match(noFile.stderr, /model file .*nope\.onnx does not exist/);
  const noRef = runCli(['check', 'ghost@production'], { env });
  assert.equal(noRef.status, 2);
  assert.match(noRef.stderr, /"ghost@production" is neither a file nor a model in the registry/);
  assert.equal(runCli(['registry', 'register', 'm', fixture('models', 'mlp-dynamo.onnx')], { env }).status, 0);
  const stored = path.join(registry, 'models', 'm', 'versions', '1', 'model.onnx');
  spawnSync('sh', ['-c', `chmod u+w ${stored} && printf x >> ${stored}`]);
  const verify = runCli(['registry', 'verify', '--json'], { env });
  assert.equal(verify.status, 1);
  assert.equal(JSON.parse(verify.stdout).problems[0].problem, 'sha256_mismatch');
  const list = runCli(['registry', 'list'], { env: { MLOPS_REGISTRY: tempDir() } });
  assert.equal(list.status, 0);
  assert.match(list.stdout, /no models registered yet/);
});

test('registry list does not load onnxruntime', () => {
  const registry = tempDir();
  const script = `
    const { main } = await import(${JSON.stringify(path.join(ROOT, 'dist/src/cli.js'))});
    process.stdout.write = () => true;
    await main(['node', 'mlops', 'registry', 'list', '--registry', ${JSON.stringify(registry)}]);
    await main(['node', 'mlops', 'registry', 'history', 'x', '--registry', ${JSON.stringify(registry)}]);
    const { createRequire } = await import('node:module');
    console.error(JSON.stringify(Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('onnxruntime'))));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(r.stderr.trim().split('\n').pop()!), []);
});

test('registry policy: set, show, and every forward move obeys it; --json and messages', () => {
  const registry = tempDir();
  const dir = tempDir();
  const env = { MLOPS_REGISTRY: registry, MLOPS_ACTOR: 'alice' };
  writeFileSync(path.join(dir, 'release.yml'), 'checks:\n  - id: valid\n    type: model_valid\n');
  assert.equal(runCli(['registry', 'register', 'fraud', fixture('models', 'mlp.onnx')], { env }).status, 0);
  const set = runCli(
    [
      'registry',
      'policy',
      'production',
      '--require',
      'staging',
      '--checklist',
      'release.yml',
      '--reason',
      'release process',
    ],
    { cwd: dir, env },
  );
  assert.equal(set.status, 0, set.stderr);
  assert.match(
    set.stdout,
    /^set the policy for production: require staging; checklist release\.yml \(sha256 [0-9a-f]{12}\)\n/,
  );
  const shown = JSON.parse(runCli(['registry', 'policy', 'production', '--json'], { cwd: dir, env }).stdout);
  assert.equal(shown.version, 1);
  assert.deepEqual(
    shown.policies.map((p: { alias: string; require: string[]; actor: string; reason: string }) => [
      p.alias,
      p.require,
      p.actor,
      p.reason,
    ]),
    [['production', ['staging'], 'alice', 'release process']],
  );

  const refused = runCli(['registry', 'promote', 'fraud@1', '--to', 'production'], { cwd: dir, env });
  assert.equal(refused.status, 1);
  assert.match(
    refused.stderr,
    /error: fraud@1 has never been "staging", so it cannot go to "production" \(the registry policy for "production" requires it, set by alice on .*\)\nhint: promote it to staging first/,
  );
  const registerRefused = runCli(
    ['registry', 'register', 'fraud', fixture('models', 'cnn.onnx'), '--alias', 'production'],
    { cwd: dir, env },
  );
  assert.equal(registerRefused.status, 1);
  assert.match(registerRefused.stderr, /error: a new version of "fraud" has never been "staging"/);
  assert.equal(runCli(['registry', 'promote', 'fraud@1', '--to', 'staging'], { cwd: dir, env }).status, 0);
  const elsewhere = runCli(['registry', 'promote', 'fraud@1', '--to', 'production'], { cwd: tempDir(), env });
  assert.equal(elsewhere.status, 2);
  assert.match(
    elsewhere.stderr,
    /error: the registry policy for "production" needs checklist release\.yml, which is not at .*\nhint: a relative checklist path is read from the current folder/,
  );
  assert.equal(runCli(['registry', 'promote', 'fraud@1', '--to', 'production'], { cwd: dir, env }).status, 0);

  const history = runCli(['registry', 'history', 'fraud'], { cwd: dir, env });
  assert.match(history.stdout, /promote production: - -> 1 \(checklist passed\)/);
  assert.match(
    history.stdout,
    /alias policies \(registry-wide and for fraud\):[\s\S]*alice[\s\S]*set production: require staging; checklist release\.yml/,
  );
  assert.match(
    runCli(['registry', 'show', 'fraud@1'], { cwd: dir, env }).stdout,
    /^policies +production: require staging; checklist release\.yml \(sha256 [0-9a-f]{12}\) \(set by alice/m,
  );
  const cleared = runCli(['registry', 'policy', 'production', '--clear', '--json'], { cwd: dir, env });
  assert.deepEqual([cleared.status, JSON.parse(cleared.stdout).event.action], [0, 'clear']);
  const usage = runCli(['registry', 'policy', '--require', 'staging'], { cwd: dir, env });
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /error: name the alias the policy is for/);
});

test("a damaged history line in one model: list and verify name it, show the others, exit 1; that model's commands exit 2", () => {
  const registry = tempDir();
  const env = { MLOPS_REGISTRY: registry };
  for (const name of ['a', 'b'])
    assert.equal(runCli(['registry', 'register', name, fixture('models', 'mlp-dynamo.onnx')], { env }).status, 0);
  const history = path.join(registry, 'models', 'a', 'history.jsonl');
  writeFileSync(history, 'not json\n' + readFileSync(history, 'utf8'));
  const list = runCli(['registry', 'list'], { env });
  assert.equal(list.status, 1, list.stderr);
  assert.match(list.stdout, /\bb\b.*\n/);
  assert.match(list.stdout, new RegExp(`damaged_history a: ${history}:1: not a valid history event`));
  const listJson = JSON.parse(runCli(['registry', 'list', '--json'], { env }).stdout);
  assert.deepEqual(
    listJson.models.map((m: { name: string }) => m.name),
    ['b'],
  );
  assert.deepEqual(
    listJson.damaged.map((d: { name: string; line: number }) => [d.name, d.line]),
    [['a', 1]],
  );
  const verify = runCli(['registry', 'verify'], { env });
  assert.equal(verify.status, 1, verify.stderr);
  assert.match(verify.stdout, /FAILED: 0 of 1 stored files are damaged or missing; 1 model with a damaged history/);
  const show = runCli(['registry', 'show', 'a'], { env });
  assert.equal(show.status, 2);
  assert.match(show.stderr, new RegExp(`^error: ${history}:1: not a valid history event \\(not JSON`));
  assert.doesNotMatch(show.stderr, / {4}at /);
});
