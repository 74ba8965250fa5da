/** Registries with a real history to copy, and what `registry copy` must keep identical. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { archiveVersion, listRegistry, modelHistory, rollback, showVersion } from '../../src/registry/index.js';
import { aliasPolicy, promote, registerModel } from '../../src/release/index.js';
import { sha256Bytes } from '../../src/util/hash.js';
import { modelVariants, tempDir } from './helpers.js';

/**
 * `fraud`: 3 versions, staging and production moves, a rollback, an archive; `churn`:
 * 1 version with the same bytes as fraud@1 (stored once in PostgreSQL); a policy.
 */
export async function buildRegistry(registry: string): Promise<string[]> {
  const files = modelVariants(tempDir('mlops-copy-models-'), 5);
  await registerModel({ registry, name: 'fraud', file: files[0], description: 'v1', tags: { team: 'risk' } });
  await promote({ registry, ref: 'fraud@1', to: 'staging', reason: 'nightly eval' });
  await aliasPolicy({ registry, alias: 'production', require: ['staging'], reason: 'release process' });
  await promote({ registry, ref: 'fraud@1', to: 'production' });
  await registerModel({ registry, name: 'fraud', file: files[1], parent: 'fraud@1', metrics: { auc: 0.93 } });
  await promote({ registry, ref: 'fraud@2', to: 'staging' });
  await promote({ registry, ref: 'fraud@2', to: 'production' });
  await rollback({ registry, name: 'fraud', alias: 'production', reason: 'latency' });
  await registerModel({ registry, name: 'fraud', file: files[2] });
  await archiveVersion({ registry, ref: 'fraud@3', reason: 'bad labels' });
  await registerModel({ registry, name: 'churn', file: files[0], description: 'same bytes as fraud@1' });
  return files;
}

/** Everything `list`, `history --json` and `show --json` say, without the paths (they name each store's own place). */
export async function snapshot(registry: string): Promise<unknown> {
  const listed = await listRegistry({ registry });
  const models = 'models' in listed ? listed.models : [];
  const out: Record<string, unknown> = { list: listed };
  for (const m of models) {
    const history = await modelHistory({ registry, name: m.name });
    const versions = [];
    for (let v = 1; v <= m.versions; v++) {
      // `path` downloads a database's bytes into the cache (sha256 checked) and prints the local file.
      const { path: file, ...shown } = await showVersion({ registry, ref: `${m.name}@${v}`, verify: true });
      versions.push({ shown, bytes_sha256: sha256Bytes(readFileSync(file)) });
    }
    out[m.name] = { history, versions };
  }
  return out;
}

/** Every file under a registry folder (relative path -> sha256 of its bytes). */
export function folderFiles(root: string): Record<string, string> {
  const files = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
  return Object.fromEntries(files.map((f) => [f, sha256Bytes(readFileSync(path.join(root, f)))]));
}
