/**
 * What the registry commands load: `registry list` and `history` stay on the
 * registry's own modules (no release/, checklist/, models/, check/ or runtime/,
 * and not the ONNX protobuf schema, about 20 ms of a 120 ms start), and a
 * promote with no checklist gate never loads the checklist. Measured with a
 * module resolve hook, since ES modules are not in the require cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fixture, ROOT, runCli, tempDir } from '../helpers.js';

/** The src/ modules (relative to dist/src/) and packages (node_modules/<name>) that running these argument lists in one process loads. */
function modulesLoadedBy(...runs: string[][]): string[] {
  const hook = `let port; export function initialize(d) { port = d.port; } export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r; }`;
  const script = `
    import { register } from 'node:module';
    import { MessageChannel } from 'node:worker_threads';
    const { port1, port2 } = new MessageChannel();
    const seen = new Set();
    port1.on('message', (url) => seen.add(url));
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}), { data: { port: port2 }, transferList: [port2] });
    const { main } = await import(${JSON.stringify(path.join(ROOT, 'dist/src/cli.js'))});
    process.stdout.write = () => true;
    for (const argv of ${JSON.stringify(runs)}) await main(['node', 'mlops', ...argv]);
    await new Promise((r) => setTimeout(r, 100));
    port1.close();
    // src/ modules by their path under dist/src/; packages as node_modules/<name>.
    console.error(JSON.stringify([...seen].flatMap((u) => u.includes('/dist/src/') ? [u.replace(/.*\\/dist\\/src\\//, '')] : /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.test(u) ? ['node_modules/' + /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(u)[1]] : [])));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return JSON.parse(r.stderr.trim().split('\n').pop()!);
}

const under = (modules: string[], ...folders: string[]) =>
  modules.filter((m) => folders.some((f) => m.startsWith(`${f}/`)));

test('registry list and history load only the registry (no gates, no model reading)', () => {
  const registry = tempDir();
  assert.equal(
    runCli(['registry', 'register', 'fraud', fixture('models', 'mlp-dynamo.onnx'), '--registry', registry]).status,
    0,
  );
  const loaded = modulesLoadedBy(
    ['registry', 'list', '--registry', registry],
    ['registry', 'history', 'fraud', '--registry', registry],
  );
  assert.ok(loaded.includes('registry/queries.js'), 'the hook sees the modules');
  assert.deepEqual(under(loaded, 'release', 'checklist', 'models', 'runtime', 'check'), []);
  assert.deepEqual(
    loaded.filter((m) => m === 'onnx/proto.js' || m === 'onnx/graph.js'),
    [],
  );
  // The PostgreSQL client is loaded by a database registry only (the hook sees packages: commander is one).
  assert.ok(loaded.includes('node_modules/commander'), 'the hook sees the packages');
  assert.deepEqual(
    loaded.filter((m) => /^node_modules\/pg/.test(m)),
    [],
  );
  // DuckDB (70 MB, native) is loaded by a Parquet file only.
  assert.deepEqual(
    loaded.filter((m) => /^node_modules\/@duckdb/.test(m) || m.startsWith('table/parquet/')),
    [],
  );
});

test('a promote with no checklist gate loads the gated registry commands but not the checklist', () => {
  const registry = tempDir();
  assert.equal(
    runCli(['registry', 'register', 'fraud', fixture('models', 'mlp-dynamo.onnx'), '--registry', registry]).status,
    0,
  );
  const loaded = modulesLoadedBy(['registry', 'promote', 'fraud@1', '--to', 'staging', '--registry', registry]);
  assert.ok(loaded.includes('release/index.js'));
  assert.deepEqual(under(loaded, 'checklist', 'models', 'runtime', 'check'), []);
});
