/**
 * docs/team-registry.md's SQL, run exactly as written on a real PostgreSQL:
 * every ```sql block in order, as the role its first line names. Then the
 * reader can read and predict but not write (exit 2, "permission denied"),
 * the writer can register, promote and roll back but not rewrite history.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { fixture, ROOT, runCli, tempDir } from '../helpers.js';
import { PASSWORD, startPostgres, type TestPostgres } from '../support/postgres.js';

const doc = readFileSync(path.join(ROOT, 'docs', 'team-registry.md'), 'utf8');
const blocks = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]);
const passwords = new Map([...doc.matchAll(/CREATE ROLE (\w+) LOGIN PASSWORD '([^']+)'/g)].map((m) => [m[1], m[2]]));

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.close();
});

function roleUrl(role: string, database: string): string {
  const password = role === 'superuser' ? PASSWORD : passwords.get(role);
  assert.ok(password, `the doc gives no password for ${role}`);
  return `postgres://${role === 'superuser' ? 'postgres' : role}:${password}@127.0.0.1:${server.port}/${database}`;
}

/** One statement at a time: CREATE DATABASE may not share a (implicit) transaction. */
async function runBlock(block: string): Promise<void> {
  const [first] = block.split('\n');
  const who = /^-- as (a superuser|\w+), in database (\w+)$/.exec(first);
  assert.ok(who, `each sql block says who runs it where: ${first}`);
  const client = new pg.Client({ connectionString: roleUrl(who[1] === 'a superuser' ? 'superuser' : who[1], who[2]) });
  await client.connect();
  try {
    const statements = block
      .split('\n')
      .filter((line) => !line.trim().startsWith('--'))
      .join('\n')
      .split(/;\s*$/m)
      .map((s) => s.trim())
      .filter(Boolean);
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

test("docs/team-registry.md's roles, created with its own SQL: the reader reads and predicts, only the writer writes", {
  timeout: 180_000,
}, async () => {
  assert.ok(blocks.length >= 3, 'the doc has its sql blocks');
  assert.deepEqual([...passwords.keys()].sort(), ['mlops_owner', 'mlops_reader', 'mlops_writer']);
  const cacheDir = tempDir('mlops-doc-cache-');
  const as = (role: string, args: string[]) =>
    runCli(args, { env: { MLOPS_REGISTRY: roleUrl(role, 'mlops'), MLOPS_CACHE_DIR: cacheDir, MLOPS_ACTOR: role } });
  for (const block of blocks) {
    // Section 2: the owner creates the tables before granting them.
    if (block.startsWith('-- as mlops_owner')) {
      const migrate = as('mlops_owner', ['registry', 'migrate', '--json']);
      assert.equal(migrate.status, 0, migrate.stderr);
    }
    await runBlock(block);
  }

  const mlp = fixture('models', 'mlp.onnx');
  const [v1, v2] = [mlp, fixture('models', 'mlp-dynamo.onnx')];
  // The writer: register, promote, roll back, archive, set a policy.
  for (const args of [
    ['registry', 'register', 'fraud', v1, '--alias', 'staging'],
    ['registry', 'register', 'fraud', v2],
    ['registry', 'promote', 'fraud@1', '--to', 'production', '--require', 'staging'],
    ['registry', 'promote', 'fraud@2', '--to', 'production'],
    ['registry', 'rollback', 'fraud', '--alias', 'production'],
    ['registry', 'policy', 'production', '--require', 'staging'],
    ['registry', 'register', 'fraud', fixture('models', 'cnn.onnx')],
    ['registry', 'archive', 'fraud@3'],
  ]) {
    const r = as('mlops_writer', args);
    assert.equal(r.status, 0, `writer: ${args.join(' ')}: ${r.stderr}`);
  }

  // The reader: every read, and predict-batch by reference.
  for (const args of [
    ['registry', 'list'],
    ['registry', 'show', 'fraud@production'],
    ['registry', 'history', 'fraud'],
    ['registry', 'policy'],
    ['registry', 'verify'],
  ]) {
    const r = as('mlops_reader', args);
    assert.equal(r.status, 0, `reader: ${args.join(' ')}: ${r.stderr}`);
  }
  const p = as('mlops_reader', ['registry', 'path', 'fraud@production']);
  assert.equal(p.status, 0, p.stderr);
  assert.equal(
    createHash('sha256').update(readFileSync(p.stdout.trim())).digest('hex'),
    createHash('sha256').update(readFileSync(mlp)).digest('hex'),
  );
  const out = path.join(tempDir('mlops-doc-out-'), 'p.csv');
  const predicted = as('mlops_reader', [
    'predict-batch',
    'fraud@production',
    '--input',
    fixture('data', 'mlp.csv'),
    '--ignore',
    'id',
    '--output',
    out,
  ]);
  assert.equal(predicted.status, 0, predicted.stderr);

  const events = () => JSON.parse(as('mlops_reader', ['registry', 'history', 'fraud', '--json']).stdout).events.length;
  const before = events();
  // ... but no write: exit 2, "permission denied", the hint, no stack, no password.
  for (const args of [
    ['registry', 'register', 'fraud', fixture('models', 'mlp.ort-int8.onnx')],
    ['registry', 'promote', 'fraud@1', '--to', 'canary'],
    ['registry', 'rollback', 'fraud', '--alias', 'production', '--to', '2'],
    ['registry', 'archive', 'fraud@2'],
    ['registry', 'policy', 'staging', '--require', 'dev'],
  ]) {
    const r = as('mlops_reader', args);
    assert.equal(r.status, 2, `reader: ${args.join(' ')}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /^error: permission denied: role "mlops_reader" may not do this in the registry at postgres:\/\/mlops_reader@127\.0\.0\.1:\d+\/mlops /,
    );
    assert.match(r.stderr, /\nhint: .*docs\/team-registry\.md/);
    assert.doesNotMatch(r.stderr, /\n\s+at |reader-secret/);
  }
  const json = JSON.parse(as('mlops_reader', ['registry', 'promote', 'fraud@1', '--to', 'canary', '--json']).stdout);
  assert.equal(json.error.code, 'REGISTRY_PERMISSION_DENIED');
  assert.equal(events(), before, 'the refused writes left nothing');

  // The writer appends; it cannot rewrite or erase the history, nor the bytes.
  const writer = new pg.Client({ connectionString: roleUrl('mlops_writer', 'mlops') });
  await writer.connect();
  try {
    for (const sql of [
      'DELETE FROM mlops_events',
      "UPDATE mlops_blob_chunks SET data = '\\x00'",
      'DROP TABLE mlops_events',
    ])
      await assert.rejects(writer.query(sql), /permission denied|must be owner/, sql);
  } finally {
    await writer.end();
  }
});
