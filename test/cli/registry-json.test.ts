import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fixture, runCli } from '../helpers.js';
import { modelVariants, tempDir } from '../registry/helpers.js';

/** Paths of every key named "version" below the top level: the schema version is the only "version". */
function nestedVersionKeys(value: unknown, at = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => nestedVersionKeys(v, `${at}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(at && k === 'version' ? [`${at}.${k}`] : []),
    ...nestedVersionKeys(v, `${at}.${k}`),
  ]);
}

// biome-ignore lint/suspicious/noExplicitAny: parsed --json documents of many shapes, read field by field
function json(args: string[], env: NodeJS.ProcessEnv, status = 0): Record<string, any> {
  const r = runCli([...args, '--json'], { env });
  assert.equal(r.status, status, `${args.join(' ')}: ${r.stderr}`);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.version, 1, `${args.join(' ')}: "version" is the schema version`);
  assert.deepEqual(
    nestedVersionKeys(doc).filter((k) => !/\.opsets\[\d+\]\.version$/.test(k)),
    [],
    `${args.join(' ')}: a model version is "model_version"`,
  );
  return doc;
}

test('registry --json documents: "version" is the schema, "model_version" the model version, one record shape', () => {
  const registry = tempDir();
  const env = { MLOPS_REGISTRY: registry };
  const [v1, v2] = modelVariants(tempDir(), 2);

  const registered = json(['registry', 'register', 'fraud', v1, '--description', 'first'], env);
  assert.equal(registered.record, undefined, 'register is not wrapped in "record"');
  assert.equal(registered.model_version, 1);
  assert.equal(registered.duplicate, false);
  const again = json(['registry', 'register', 'fraud', v1], env);
  assert.deepEqual([again.model_version, again.duplicate], [1, true]);
  json(['registry', 'register', 'fraud', v2, '--parent', 'fraud@1'], env);

  const shown = json(['registry', 'show', 'fraud@1'], env);
  assert.equal(shown.model_version, 1);
  assert.equal(shown.description, 'first');
  const recordKeys = Object.keys(shown)
    .filter((k) => k !== 'version')
    .sort();
  assert.deepEqual(
    Object.keys(registered)
      .filter((k) => k !== 'version' && k !== 'duplicate')
      .sort(),
    recordKeys,
  );
  const pathDoc = json(['registry', 'path', 'fraud@1'], env);
  assert.deepEqual(
    Object.keys(pathDoc)
      .filter((k) => k !== 'version')
      .sort(),
    recordKeys,
  );
  assert.equal(pathDoc.path, path.join(registry, 'models', 'fraud', 'versions', '1', 'model.onnx'));
  assert.deepEqual(json(['registry', 'show', 'fraud@2'], env).parent, { name: 'fraud', model_version: 1 });

  const promoted = json(['registry', 'promote', 'fraud@2', '--to', 'production'], env);
  assert.deepEqual(
    Object.keys(promoted)
      .filter((k) => recordKeys.includes(k))
      .sort(),
    recordKeys,
    'promote returns the version record too',
  );
  assert.deepEqual(
    [promoted.model_version, promoted.alias, promoted.from, promoted.to, promoted.changed],
    [2, 'production', null, 2, true],
  );
  assert.deepEqual(promoted.aliases, ['production']);
  json(['registry', 'promote', 'fraud@1', '--to', 'production'], env);
  const back = json(['registry', 'rollback', 'fraud', '--alias', 'production'], env);
  assert.deepEqual([back.model_version, back.from, back.to], [2, 1, 2]);

  const list = json(['registry', 'list', 'fraud'], env);
  assert.equal(list.name, 'fraud');
  assert.deepEqual(
    list.versions.map((v: { model_version: number }) => v.model_version),
    [1, 2],
  );
  assert.equal(list.versions[0].sha256, registered.sha256);
  json(['registry', 'list'], env);

  const archived = json(['registry', 'archive', 'fraud@1'], env);
  assert.deepEqual([archived.model_version, archived.event.model_version], [1, 1]);
  const history = json(['registry', 'history', 'fraud'], env);
  const reg = history.events.find((e: { type: string }) => e.type === 'register');
  assert.deepEqual([reg.model_version, reg.record.model_version], [1, 1]);

  const stored = path.join(registry, 'models', 'fraud', 'versions', '2', 'model.onnx');
  spawnSync('sh', ['-c', `chmod u+w ${stored} && printf x >> ${stored}`]);
  const verify = json(['registry', 'verify'], env, 1);
  assert.deepEqual(
    verify.problems.map((p: { model_version: number }) => p.model_version),
    [2],
  );
});

test('other commands name the registry version of a reference "model_version"', () => {
  const registry = tempDir();
  const env = { MLOPS_REGISTRY: registry };
  assert.equal(
    runCli(['registry', 'register', 'mlp', fixture('models', 'mlp.onnx'), '--alias', 'production'], { env }).status,
    0,
  );
  assert.deepEqual(json(['check', 'mlp@production'], env).model.registry, { name: 'mlp', model_version: 1 });
  const inspected = json(['inspect', 'mlp@1'], env);
  assert.deepEqual(inspected.registry, { name: 'mlp', model_version: 1 });
  assert.equal(inspected.model_version, undefined, 'the ONNX field ModelProto.model_version is onnx_model_version');
  assert.equal(typeof inspected.onnx_model_version, 'number');
  const out = path.join(tempDir(), 'p.csv');
  const predicted = json(
    ['predict-batch', 'mlp@1', '--input', fixture('data', 'mlp.csv'), '--output', out, '--keep', 'id'],
    env,
  );
  assert.deepEqual(predicted.model.registry, { name: 'mlp', model_version: 1 });
  const quantized = json(
    ['quantize', 'mlp@1', '--output', path.join(tempDir(), 'q.onnx'), '--register', 'mlp-int8'],
    env,
  );
  assert.deepEqual(quantized.source.registry, { name: 'mlp', model_version: 1 });
  assert.deepEqual(quantized.registered, { name: 'mlp-int8', model_version: 1 });
});

test('register --alias with bytes that are already a version moves the alias to that version, through its gates, and says so', () => {
  const registry = tempDir();
  const model = fixture('models', 'mlp-dynamo.onnx');
  assert.equal(runCli(['registry', 'register', 'm', model, '--registry', registry]).status, 0);
  const again = runCli(['registry', 'register', 'm', model, '--alias', 'staging', '--registry', registry]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /already registered: identical bytes are m@1[\s\S]*\npromoted m staging: - -> 1/);
  const json = JSON.parse(
    runCli(['registry', 'register', 'm', model, '--alias', 'staging', '--registry', registry, '--json']).stdout,
  );
  assert.equal(json.duplicate, true);
  assert.deepEqual(json.alias_move, { alias: 'staging', from: 1, to: 1, changed: false });
  assert.deepEqual(json.aliases, ['staging']);
  // The alias's policy applies as for promote.
  assert.equal(runCli(['registry', 'policy', 'production', '--require', 'canary', '--registry', registry]).status, 0);
  const gated = runCli(['registry', 'register', 'm', model, '--alias', 'production', '--registry', registry]);
  assert.equal(gated.status, 1, gated.stderr);
  assert.match(
    gated.stderr,
    /these bytes already are m@1, but did not point "production" at it: m@1 has never been "canary"/,
  );
});
