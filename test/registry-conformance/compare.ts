/**
 * Runs the same CLI steps on two stores and compares what a user sees, once
 * what must differ is normalized: times, the registry's location, where a
 * version's bytes are kept (a version folder's file; a database blob and its
 * cached copy), check's timings. Nothing else.
 */
import assert from 'node:assert/strict';
import type { StoreUnderTest } from './stores.js';

export interface Step {
  args: string[];
  /** The exit code it must give (on both stores). */
  status: number;
}

export interface Outcome {
  args: string;
  status: number | null;
  stdout: string;
  stderr: string;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replace what legitimately differs between stores with placeholders, and nothing else. */
export function normalizer(store: StoreUnderTest, work: string): (s: string) => string {
  const stored = [
    // the folder store's version files, the database store's cached copies
    new RegExp(`${escapeRegExp(store.registry)}/models/[a-z0-9._-]+/versions/\\d+/model\\.onnx`, 'g'),
    new RegExp(`${escapeRegExp(store.cacheDir)}/models/[0-9a-f]{64}\\.onnx`, 'g'),
  ];
  return (s) => {
    let out = s;
    for (const re of stored) out = out.replace(re, '<stored file>');
    out = out.split(store.registry).join('<registry>').split(store.display).join('<registry>');
    // Where a version's bytes are kept, as messages name it: a file, or a blob in a database.
    out = out.replace(
      /(the stored )?(file )?<stored file>|(the stored )?blob [0-9a-f]{12}\.\.\. in <registry>/g,
      '<stored bytes>',
    );
    out = out.split(work).join('<work>');
    out = out.replace(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>');
    // check's timings (the last column of its run table)
    out = out.replace(/ {2}\d+\.\d+$/gm, '  <ms>');
    // tables pad a column to its widest cell: a path's length differs between stores
    return out.replace(/ +\n/g, '\n');
  };
}

export async function runScenario(store: StoreUnderTest, work: string, steps: Step[]): Promise<Outcome[]> {
  const normalize = normalizer(store, work);
  const outcomes: Outcome[] = [];
  for (const step of steps) {
    const r = await store.cliAsync(step.args, { cwd: work });
    const args = step.args.map(normalize).join(' ');
    assert.equal(r.status, step.status, `[${store.kind}] mlops ${args}\n${r.stdout}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at |internal error/, `[${store.kind}] mlops ${args}: a user error, not a bug`);
    outcomes.push({ args, status: r.status, stdout: normalize(r.stdout), stderr: normalize(r.stderr) });
  }
  return outcomes;
}
