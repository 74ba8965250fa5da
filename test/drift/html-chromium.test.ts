import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, runCli, tempDir } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';

function chromium(args: string[]): { status: number | null; stdout: string } {
  const profile = tempDir('mlops-chromium-');
  // The flags the machine notes require: no sandbox as root, no background networking.
  const r = spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      '--window-size=1200,1400',
      ...args,
    ],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 26 },
  );
  return { status: r.status, stdout: r.stdout };
}

test('the HTML drift report renders in headless Chromium with one chart per tested column', {
  skip: existsSync(CHROMIUM) ? false : `needs ${CHROMIUM} (Debian package chromium; .ci/run installs it)`,
}, () => {
  const dir = tempDir('mlops-html-');
  const html = path.join(dir, 'drift.html');
  const r = runCli([
    'drift',
    '--reference',
    fixture('data', 'drift', 'reference.csv'),
    '--current',
    fixture('data', 'drift', 'current.csv'),
    '--exclude',
    'id',
    '--html',
    html,
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const tested = JSON.parse(r.stdout).columns.filter((c: { status: string }) => c.status === 'tested').length;
  const dom = chromium(['--dump-dom', `file://${html}`]);
  assert.equal(dom.status, 0);
  // Count what the browser parsed, not our string: each chart is an <svg> with bars inside.
  const charts = dom.stdout.match(/<svg class="chart"[^>]*>[\s\S]*?<\/svg>/g) ?? [];
  assert.equal(charts.length, tested);
  assert.ok(
    charts.every((svg) => (svg.match(/<rect /g) ?? []).length >= 2),
    'every chart has bars',
  );
  const png = path.join(dir, 'drift.png');
  assert.equal(chromium([`--screenshot=${png}`, `file://${html}`]).status, 0);
  const bytes = readFileSync(png);
  assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG was written');
  assert.ok(bytes.length > 20_000, 'the screenshot is not blank');
});
