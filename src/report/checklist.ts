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
  return `${pass} passed, ${fail} failed${error ? `, ${error} could not run` : ''}${pending ? `, ${pending} pending` : ''}: ${r.passed ? 'PASSED' : 'FAILED'} (fail on ${r.fail_on})`;
}

export function renderChecklistTable(r: ChecklistResult, options: RenderOptions): string {
  const rows = r.checks.map((c) => [
    c.id, c.type, c.severity,
    paint(options, c.status !== 'pass' && c.severity === 'warn' ? 'yellow' : STYLE[c.status], shown(c)),
    c.value === null ? '' : typeof c.value === 'number' ? Number(c.value.toPrecision(4)).toString() : c.value,
    c.threshold ?? '', c.message,
  ]);
  return `${renderTable(['check', 'type', 'severity', 'result', 'value', 'threshold', 'details'], rows, options)}\n${paint(options, r.passed ? 'green' : 'red', summary(r))}\n`;
}

const xml = (s: string) => s.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** JUnit XML as CI systems read it: failures carry the message; pending and warn-level items are skipped. */
export function renderChecklistJunit(r: ChecklistResult): string {
  const failures = r.checks.filter((c) => (c.status === 'fail' || c.status === 'error') && c.severity === 'error').length;
  const skipped = r.checks.filter((c) => c.status === 'pending' || (c.status !== 'pass' && c.severity === 'warn')).length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const cases = r.checks.map((c) => {
    const open = `    <testcase classname="mlops.checklist.${xml(c.type)}" name="${xml(c.id)}" time="${seconds(c.duration_ms)}"`;
    const detail = `${c.message}${c.threshold ? ` (threshold ${c.threshold})` : ''}`;
    if (c.status === 'pass') return `${open}/>`;
    if (c.status === 'pending' || c.severity === 'warn') return `${open}>\n      <skipped message="${xml(`${c.status === 'pending' ? 'pending' : `warning (${c.status})`}: ${detail}`)}"/>\n    </testcase>`;
    const tag = c.status === 'error' ? 'error' : 'failure';
    return `${open}>\n      <${tag} message="${xml(detail)}" type="${c.status}">${xml(detail)}</${tag}>\n    </testcase>`;
  });
  const total = r.checks.reduce((n, c) => n + c.duration_ms, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="mlops checklist" tests="${r.checks.length}" failures="${failures}" skipped="${skipped}" time="${seconds(total)}">
  <testsuite name="${xml(`checklist ${r.model}`)}" tests="${r.checks.length}" failures="${failures}" skipped="${skipped}" time="${seconds(total)}">
${cases.join('\n')}
  </testsuite>
</testsuites>
`;
}

export function renderChecklistMarkdown(r: ChecklistResult): string {
  const icon = (c: CheckResult) => (c.status === 'pass' ? '✅' : c.status === 'pending' ? '⏳' : c.severity === 'warn' ? '⚠️' : '❌');
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    `### Deployment checklist: ${r.passed ? '✅ passed' : '❌ failed'}`,
    '',
    `Model \`${r.model}\`. ${summary(r)}.`,
    '',
    '| | check | type | severity | value | threshold | details |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...r.checks.map((c) => `| ${icon(c)} | ${esc(c.id)} | ${c.type} | ${c.severity} | ${c.value === null ? '' : esc(String(typeof c.value === 'number' ? Number(c.value.toPrecision(4)) : c.value))} | ${esc(c.threshold ?? '')} | ${esc(c.message)} |`),
  ].join('\n') + '\n';
}
