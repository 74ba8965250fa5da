/**
 * The layering of DESIGN.md, checked on the import statements of src/: the
 * shared layers never import models/ or a capability, onnx/ and registry/ do
 * not import each other, models/ sits on the shared layers only, and no two
 * modules import each other. Lazy `import()` and `import type` count: a cycle
 * through a lazy import is still a cycle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers.js';

const SRC = path.join(ROOT, 'src');
/** The shared layers below models/. */
const SHARED = new Set(['onnx', 'registry', 'table', 'runtime', 'stats', 'util']);

interface Edge {
  file: string;
  from: string;
  to: string;
  spec: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

/** The module of a file: its top-level folder under src/, or the file itself (cli.ts, index.ts). */
function moduleOf(file: string): string {
  const [first, ...rest] = path.relative(SRC, file).split(path.sep);
  return rest.length ? first : first.replace(/\.ts$/, '');
}

/** Every module-to-module edge, from static imports, re-exports and lazy import() calls. */
export function importEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    // Comments can quote import statements; strings cannot hold an import that runs.
    const code = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    const specs = [
      ...code.matchAll(
        /\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm,
      ),
    ].map((m) => m[1] ?? m[2] ?? m[3]);
    for (const spec of specs) {
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(SRC + path.sep)) continue;
      const from = moduleOf(file);
      const to = moduleOf(target.replace(/\.js$/, '.ts'));
      if (from !== to) edges.push({ file: path.relative(ROOT, file), from, to, spec });
    }
  }
  return edges;
}

const show = (edges: Edge[]) => edges.map((e) => `${e.file} imports ${e.spec} (${e.from}/ -> ${e.to}/)`).join('\n');

test('the import graph of src/ is found (the parser sees static, type and lazy imports)', () => {
  const edges = importEdges();
  assert.ok(
    edges.some((e) => e.from === 'models' && e.to === 'onnx'),
    'models/ reads models through onnx/',
  );
  assert.ok(
    edges.some((e) => e.from === 'cli' && e.to === 'report'),
    'the CLI renders through report/',
  );
  assert.ok(
    edges.some((e) => e.file.endsWith('models/resolve-model.ts') && e.spec === '../registry/queries.js'),
    'lazy import() is an edge',
  );
});

test('onnx/ and registry/ do not import each other', () => {
  const crossing = importEdges().filter(
    (e) => (e.from === 'onnx' && e.to === 'registry') || (e.from === 'registry' && e.to === 'onnx'),
  );
  assert.equal(show(crossing), '');
});

test('the shared layers import no models/ and no capability', () => {
  const upward = importEdges().filter((e) => SHARED.has(e.from) && !SHARED.has(e.to));
  assert.equal(show(upward), '');
});

test('models/ sits on the shared layers only', () => {
  const upward = importEdges().filter((e) => e.from === 'models' && !SHARED.has(e.to));
  assert.equal(show(upward), '');
});

/** A path of edges from module `from` back to module `to`, if one exists. */
function pathBetween(edges: Edge[], from: string, to: string): Edge[] | null {
  const seen = new Set([from]);
  const queue: Array<{ at: string; via: Edge[] }> = [{ at: from, via: [] }];
  while (queue.length) {
    const { at, via } = queue.shift()!;
    for (const e of edges.filter((x) => x.from === at && !seen.has(x.to))) {
      if (e.to === to) return [...via, e];
      seen.add(e.to);
      queue.push({ at: e.to, via: [...via, e] });
    }
  }
  return null;
}

test('no two modules import each other, directly or round a longer cycle', () => {
  const edges = importEdges();
  const cycles: string[] = [];
  const reported = new Set<string>();
  for (const e of edges) {
    const back = pathBetween(edges, e.to, e.from);
    if (!back) continue;
    const cycle = [e, ...back];
    const key = cycle
      .map((c) => c.from)
      .sort()
      .join(' ');
    if (reported.has(key)) continue;
    reported.add(key);
    cycles.push(`cycle ${cycle.map((c) => c.from).join(' -> ')} -> ${e.from}:\n${show(cycle)}`);
  }
  assert.equal(cycles.join('\n\n'), '');
});

test('table/ does not import runtime/ (a sample needs an RNG, which is a utility, not a session)', () => {
  const down = importEdges().filter((e) => e.from === 'table' && e.to === 'runtime');
  assert.equal(show(down), '');
});
