/** versionWithHistory: what `show` and `history` say, from one read of the history (a checklist's registry checks). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { FolderStore, modelHistory, showVersion, versionWithHistory } from '../../src/registry/index.js';
import { aliasPolicy, promote, registerModel } from '../../src/release/index.js';
import { modelVariants, tempDir } from './helpers.js';

class CountingStore extends FolderStore {
  historyReads = 0;
  override readHistory(name: string) {
    this.historyReads++;
    return super.readHistory(name);
  }
}

test('versionWithHistory equals show + history, reading the model history once', async () => {
  const registry = tempDir();
  const dir = tempDir();
  for (const f of modelVariants(dir, 2)) await registerModel({ registry, name: 'fraud', file: f });
  writeFileSync(path.join(dir, 'ok.yml'), 'checks:\n  - id: valid\n    type: model_valid\n');
  await aliasPolicy({ registry, cwd: dir, alias: 'production', checklist: 'ok.yml' });
  await promote({ registry, cwd: dir, ref: 'fraud@1', to: 'production' });
  const store = new CountingStore(registry);
  const both = await versionWithHistory({ store, ref: 'fraud@production' });
  assert.equal(store.historyReads, 1);
  assert.deepEqual(both.version, await showVersion({ registry, ref: 'fraud@production' }));
  assert.deepEqual(both.history, await modelHistory({ registry, name: 'fraud' }));
  await assert.rejects(
    versionWithHistory({ registry, ref: 'churn@1' }),
    (e: Error & { code?: string }) => e.code === 'REGISTRY_MODEL_NOT_FOUND',
  );
});
