/**
 * test/registry/policy.test.ts (stored alias policies: gates on promote and
 * register --alias, show/clear, history) run on both stores.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { listRegistry, modelHistory, rollback, showVersion } from '../../src/registry/index.js';
import { aliasPolicy, promote, registerModel } from '../../src/release/index.js';
import { modelVariants, tempDir } from '../registry/helpers.js';
import { forEachStore } from './stores.js';

type Failure = Error & { code?: string; exitCode?: number; hint?: string };

/** The registry under test with three versions, and a passing and a failing checklist in `dir`. */
async function setup(registry: string) {
  const dir = tempDir();
  for (const f of modelVariants(dir, 3)) await registerModel({ registry, name: 'fraud', file: f });
  writeFileSync(path.join(dir, 'passing.yml'), 'checks:\n  - id: valid\n    type: model_valid\n');
  writeFileSync(
    path.join(dir, 'failing.yml'),
    'checks:\n  - id: valid\n    type: model_valid\n  - id: tiny\n    type: max_size_mb\n    max: 0.0001\n',
  );
  return { registry, dir };
}

forEachStore(
  'a stored policy gates every promote: required alias, checklist, --force recorded; rollback needs no gate',
  async (store) => {
    const { registry, dir } = await setup(store.registry);
    const set = await aliasPolicy({
      registry,
      cwd: dir,
      alias: 'production',
      require: ['staging'],
      checklist: 'passing.yml',
      reason: 'release process',
    });
    assert.equal(set.changed, true);
    assert.deepEqual(
      set.policies.map((p) => [p.alias, p.model, p.require, p.checklist?.path, p.reason]),
      [['production', null, ['staging'], 'passing.yml', 'release process']],
    );
    assert.match(set.policies[0].checklist!.sha256, /^[0-9a-f]{64}$/);

    // No per-call --require: the stored policy still refuses a version that has never been staging (exit 1, naming it).
    await assert.rejects(promote({ registry, cwd: dir, ref: 'fraud@1', to: 'production' }), (e: Failure) => {
      assert.equal((e as { code?: string }).code, 'REGISTRY_PROMOTION_ORDER');
      assert.equal(e.exitCode, 1);
      assert.match(
        e.message,
        /fraud@1 has never been "staging", so it cannot go to "production" \(the registry policy for "production" requires it, set by .+ on \d{4}-\d\d-\d\d\)/,
      );
      return true;
    });
    await promote({ registry, cwd: dir, ref: 'fraud@1', to: 'staging' });
    const first = await promote({ registry, cwd: dir, ref: 'fraud@1', to: 'production' });
    assert.deepEqual(
      [first.changed, first.event?.checklists?.map((c) => [c.config, c.source, c.passed])],
      [true, [['passing.yml', 'policy', true]]],
    );
    assert.deepEqual(first.event?.policy_seq, [1]);

    // A stricter policy: the failing checklist refuses, --force goes through and says so in history.
    await aliasPolicy({ registry, cwd: dir, alias: 'production', require: ['staging'], checklist: 'failing.yml' });
    await promote({ registry, cwd: dir, ref: 'fraud@2', to: 'staging' });
    await assert.rejects(promote({ registry, cwd: dir, ref: 'fraud@2', to: 'production' }), (e: Failure) => {
      assert.equal(e.code, 'REGISTRY_GATE_FAILED');
      assert.equal(e.exitCode, 1);
      assert.match(e.message, /checklist failing\.yml \(registry policy\) failed: tiny \(fail\)/);
      return true;
    });
    const forced = await promote({
      registry,
      cwd: dir,
      ref: 'fraud@2',
      to: 'production',
      force: true,
      reason: 'hotfix',
    });
    assert.equal(forced.event?.forced, true);

    // Back to a version that held production: no gate runs again (the failing checklist would refuse it).
    const back = await rollback({ registry, name: 'fraud', alias: 'production' });
    assert.deepEqual([back.from, back.to], [2, 1]);
    // Per-call gates still add to the stored ones.
    await assert.rejects(promote({ registry, cwd: dir, ref: 'fraud@3', to: 'canary', require: 'staging' }), {
      code: 'REGISTRY_PROMOTION_ORDER',
    });
  },
);

forEachStore(
  'register --alias obeys the policy: a required alias refuses before storing, a checklist runs on the new version',
  async (store) => {
    const { registry, dir } = await setup(store.registry);
    const [extra1, extra2, extra3] = modelVariants(tempDir(), 6).slice(3);
    await aliasPolicy({ registry, cwd: dir, alias: 'production', require: ['staging'] });
    await assert.rejects(
      registerModel({ registry, cwd: dir, name: 'fraud', file: extra1, alias: 'production' }),
      (e: Failure) => {
        assert.equal((e as { code?: string }).code, 'REGISTRY_PROMOTION_ORDER');
        assert.equal(e.exitCode, 1);
        assert.match(e.message, /a new version of "fraud" has never been "staging", so it cannot go to "production"/);
        return true;
      },
    );
    const list = await listRegistry({ registry, name: 'fraud' });
    assert.ok('versions' in list && list.versions.length === 3, 'nothing was stored');

    // A policy narrowed to one model adds to the registry-wide ones.
    await aliasPolicy({ registry, cwd: dir, alias: 'canary', model: 'fraud', checklist: 'failing.yml' });
    await assert.rejects(
      registerModel({ registry, cwd: dir, name: 'fraud', file: extra2, alias: 'canary' }),
      (e: Failure) => {
        assert.equal((e as { code?: string }).code, 'REGISTRY_GATE_FAILED');
        assert.equal(e.exitCode, 1);
        assert.match(
          e.message,
          /^registered fraud@4, but did not point "canary" at it: refusing to promote fraud@4 to canary: checklist failing\.yml \(policy for fraud\) failed/,
        );
        assert.match(e.hint!, /mlops registry promote fraud@4 --to canary/);
        return true;
      },
    );
    assert.deepEqual((await showVersion({ registry, ref: 'fraud@4' })).aliases, []);
    // Other models are not bound by fraud's policy.
    const other = await registerModel({ registry, cwd: dir, name: 'churn', file: extra2, alias: 'canary' });
    assert.deepEqual(other.aliases, ['canary']);
    await aliasPolicy({ registry, cwd: dir, alias: 'canary', model: 'fraud', checklist: 'passing.yml' });
    const gated = await registerModel({ registry, cwd: dir, name: 'fraud', file: extra3, alias: 'canary' });
    assert.deepEqual([gated.model_version, gated.aliases, gated.duplicate], [5, ['canary'], false]);
    const event = (await modelHistory({ registry, name: 'fraud' })).events.at(-1)!;
    assert.ok(
      event.type === 'alias' &&
        event.checklists?.[0].passed === true &&
        event.checklists[0].source === 'policy for fraud',
    );
  },
);

forEachStore(
  'policies: shown, cleared, attributed in history; a checklist missing where a promotion runs is exit 2',
  async (store) => {
    const { registry, dir } = await setup(store.registry);
    assert.deepEqual((await aliasPolicy({ registry, alias: 'production' })).policies, []);
    await assert.rejects(
      aliasPolicy({ registry, cwd: dir, alias: 'production', checklist: 'nope.yml' }),
      (e: Failure) => e.code === 'REGISTRY_POLICY_CHECKLIST_MISSING' && e.exitCode === 2,
    );
    writeFileSync(path.join(dir, 'bad.yml'), 'checks:\n  - id: x\n    type: max_size_mb\n    max: lots\n');
    await assert.rejects(aliasPolicy({ registry, cwd: dir, alias: 'production', checklist: 'bad.yml' }), {
      code: 'CHECKLIST_CONFIG',
      message: /bad\.yml: checks\[0\]\.max: expected a (positive )?number/,
    });
    await assert.rejects(aliasPolicy({ registry, alias: 'production', require: ['production'] }), {
      code: 'REGISTRY_POLICY_INVALID',
    });
    await assert.rejects(aliasPolicy({ registry, alias: 'production', require: ['staging'], clear: true }), {
      code: 'OPTIONS_CONFLICT',
    });

    await aliasPolicy({ registry, cwd: dir, alias: 'production', checklist: 'passing.yml' });
    const same = await aliasPolicy({ registry, cwd: dir, alias: 'production', checklist: 'passing.yml' });
    assert.equal(same.changed, false, 'the same policy again records nothing');
    // Promoting from another folder: the stored relative path is not there.
    await assert.rejects(promote({ registry, cwd: tempDir(), ref: 'fraud@1', to: 'production' }), (e: Failure) => {
      assert.equal(e.code, 'REGISTRY_POLICY_CHECKLIST_MISSING');
      assert.equal(e.exitCode, 2);
      assert.match(
        e.message,
        /the registry policy for "production" needs checklist passing\.yml, which is not at .*passing\.yml/,
      );
      return true;
    });
    const shown = await showVersion({ registry, ref: 'fraud@1' });
    assert.deepEqual(
      shown.policies.map((p) => [p.alias, p.checklist?.path]),
      [['production', 'passing.yml']],
    );
    const cleared = await aliasPolicy({ registry, alias: 'production', clear: true, reason: 'moved to CI' });
    assert.deepEqual([cleared.changed, cleared.policies], [true, []]);
    await promote({ registry, cwd: tempDir(), ref: 'fraud@1', to: 'production' });
    const history = await modelHistory({ registry, name: 'fraud' });
    assert.deepEqual(
      history.policy_events.map((e) => [e.seq, e.action, e.alias, e.reason ?? null]),
      [
        [1, 'set', 'production', null],
        [2, 'clear', 'production', 'moved to CI'],
      ],
    );
    assert.ok(history.policy_events.every((e) => e.actor && e.at && e.host));
  },
);

forEachStore(
  'policy --model refuses a name that can never be registered, and --checklist names a folder as a folder',
  async (store) => {
    const { registry, dir } = await setup(store.registry);
    await assert.rejects(
      aliasPolicy({ registry, cwd: dir, alias: 'production', model: 'z.onnx', require: ['staging'] }),
      { code: 'REGISTRY_BAD_NAME', message: /\.onnx/ },
    );
    await assert.rejects(aliasPolicy({ registry, cwd: dir, alias: 'production', checklist: '/etc' }), (e: Failure) => {
      assert.equal((e as { code?: string }).code, 'REGISTRY_POLICY_CHECKLIST_MISSING');
      assert.match(e.message, /^checklist \/etc is a folder \(looked at \/etc\)/);
      return true;
    });
  },
);
