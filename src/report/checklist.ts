/** Checklist renderers: table, JUnit XML (one testcase per check), Markdown. */
import type { ChecklistResult, CheckResult, CheckStatus } from '../checklist/index.js';
import { paint, type RenderOptions, type Style } from './style.js';
import { renderTable } from './table.js';

const STYLE: Record<CheckStatus, Style> = { pass: 'green', fail: 'red', error: 'red', pending: 'yellow' };
const LABEL: Record<CheckStatus, string> = { pass: 'pass', fail: 'FAIL', error: 'ERROR', pending: 'pending' };

function shown(c: CheckResult): string {
  // A warn-level failure is a warning, not a red failure.
  return c.status !== 'pass' && c.severity === 'warn' ? `warn (${c.status})` : LABEL[c.status];
}

function summary(r: ChecklistResult): string {
  const { pass, fail, error, pending } = r.counts;
  return `${pass} passed, ${fail} failed${error ? `, ${error} could not run` : ''}${pending ? `, ${pending} pending` : ''}: ${r.passed ? 'PASSED' : 'FAILED'}${r.reason ? `: ${r.reason}` : ''} (fail on ${r.fail_on})`;
}

export function renderChecklistTable(r: ChecklistResult, options: RenderOptions): string {
  const rows = r.checks.map((c) => [
    c.id,
    c.type,
    c.severity,
    paint(options, c.status !== 'pass' && c.severity === 'warn' ? 'yellow' : STYLE[c.status], shown(c)),
    c.value === null ? '' : typeof c.value === 'number' ? Number(c.value.toPrecision(4)).toString() : c.value,
    c.threshold ?? '',
    c.message,
  ]);
  return `${renderTable(['check', 'type', 'severity', 'result', 'value', 'threshold', 'details'], rows, options)}\n${paint(options, r.passed ? 'green' : 'red', summary(r))}\n`;
}

const xml = (s: string) =>
  s
    .replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/**
 * JUnit XML as CI systems read it. The rule: a check that makes the run exit
 * non-zero (blocking at --fail-on: failed, errored or pending) is a <failure>
 * or an <error>; a check that does not (a warning, a pending warn-level item)
 * is <skipped>. A run that fails with no check to blame (no check passed)
 * gets one more testcase, the verdict, as a failure. So CI never shows green
 * tests on a failed job, and the counts are those of the testcases.
 */
export function renderChecklistJunit(r: ChecklistResult): string {
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const kinds = r.checks.map((c): 'pass' | 'failure' | 'error' | 'skipped' =>
    c.status === 'pass' ? 'pass' : !c.blocking ? 'skipped' : c.status === 'error' ? 'error' : 'failure',
  );
  const cases = r.checks.map((c, i) => {
    const open = `    <testcase classname="mlops.checklist.${xml(c.type)}" name="${xml(c.id)}" time="${seconds(c.duration_ms)}"`;
    const detail = `${c.message}${c.threshold ? ` (threshold ${c.threshold})` : ''}`;
    const kind = kinds[i];
    if (kind === 'pass') return `${open}/>`;
    if (kind === 'skipped')
      return `${open}>\n      <skipped message="${xml(`${c.status === 'pending' ? 'pending' : `warning (${c.status})`}: ${detail}`)}"/>\n    </testcase>`;
    const text = c.status === 'pending' ? `pending: ${detail}` : detail;
    return `${open}>\n      <${kind} message="${xml(text)}" type="${c.status}">${xml(text)}</${kind}>\n    </testcase>`;
  });
  if (r.reason) {
    kinds.push('failure');
    cases.push(
      `    <testcase classname="mlops.checklist" name="(verdict)" time="0.000">\n      <failure message="${xml(r.reason)}" type="verdict">${xml(r.reason)}</failure>\n    </testcase>`,
    );
  }
  const count = (k: string) => kinds.filter((x) => x === k).length;
  const attrs = `tests="${cases.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}"`;
  const total = r.checks.reduce((n, c) => n + c.duration_ms, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="mlops checklist" ${attrs} time="${seconds(total)}">
  <testsuite name="${xml(`checklist ${r.model}`)}" ${attrs} time="${seconds(total)}">
${cases.join('\n')}
  </testsuite>
</testsuites>
`;
}

export function renderChecklistMarkdown(r: ChecklistResult): string {
  const icon = (c: CheckResult) =>
    c.status === 'pass' ? '✅' : c.status === 'pending' ? '⏳' : c.severity === 'warn' ? '⚠️' : '❌';
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return (
    [
      `### Deployment checklist: ${r.passed ? '✅ passed' : '❌ failed'}`,
      '',
      `Model \`${r.model}\`. ${summary(r)}.`,
      '',
      '| | check | type | severity | value | threshold | details |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...r.checks.map(
        (c) =>
          `| ${icon(c)} | ${esc(c.id)} | ${c.type} | ${c.severity} | ${c.value === null ? '' : esc(String(typeof c.value === 'number' ? Number(c.value.toPrecision(4)) : c.value))} | ${esc(c.threshold ?? '')} | ${esc(c.message)} |`,
      ),
    ].join('\n') + '\n'
  );
}
