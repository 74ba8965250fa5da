import type { CheckResult, StageStatus } from '../check/index.js';
import type { Severity } from '../check/problems.js';
import { paint, type RenderOptions, type Style } from './style.js';
import { joinSections, renderTable } from './table.js';

const STATUS_STYLE: Record<StageStatus, Style> = { passed: 'green', failed: 'red', warning: 'yellow', skipped: 'dim' };
const SEVERITY_STYLE: Record<Severity, Style> = { error: 'red', warning: 'yellow', info: 'blue' };

function num(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return n === 0
    ? '0'
    : Math.abs(n) >= 1e-3 && Math.abs(n) < 1e4
      ? String(Number(n.toPrecision(4)))
      : n.toExponential(2);
}

export function renderCheck(result: CheckResult, options: RenderOptions): string {
  const parts: string[] = [];
  parts.push(
    renderTable(
      ['stage', 'status'],
      result.stages.map((s) => [s.name, paint(options, STATUS_STYLE[s.status], s.status)]),
      options,
    ),
  );
  if (result.problems.length) {
    const rows = result.problems.map((p) => {
      const where = [
        p.node ? `node ${p.node}` : '',
        p.tensor ? `tensor ${p.tensor}` : '',
        p.graph && p.graph !== 'main' ? `graph ${p.graph}` : '',
      ]
        .filter(Boolean)
        .join('\n');
      const hint = p.hint
        ? wrap(`hint: ${p.hint}`, 90)
            .split('\n')
            .map((l) => paint(options, 'dim', l))
        : [];
      return [
        paint(options, SEVERITY_STYLE[p.severity], p.severity),
        p.code,
        where,
        [wrap(p.message, 90), ...hint].join('\n'),
      ];
    });
    parts.push(renderTable(['severity', 'code', 'where', 'message'], rows, options));
  }
  if (result.runs.length) {
    const rows = result.runs.map((r) => [
      String(r.symbolic_size),
      r.inputs.map((i) => `${i.name} ${i.type}[${i.shape.join(', ')}]`).join('\n'),
      r.error
        ? paint(options, 'red', 'failed')
        : r.outputs
            .map(
              (o) =>
                `${o.name} ${o.type}[${o.shape.join(', ')}]${o.nonfinite ? paint(options, 'red', ` ${o.nonfinite} NaN/Inf`) : ''}`,
            )
            .join('\n'),
      r.ms.toFixed(1),
    ]);
    parts.push(renderTable(['symbolic dims', 'synthesized inputs', 'outputs', 'ms'], rows, options));
  }
  if (result.parity) {
    const p = result.parity;
    const rows = p.sets.flatMap((set) =>
      set.outputs.map((o) => [
        set.name,
        o.output,
        num(o.max_abs_error),
        num(o.max_rel_error),
        `${o.mismatches}/${o.total}`,
        o.worst ? `[${o.worst.index.join(', ')}] ${o.worst.actual} vs ${o.worst.expected}` : '',
        paint(options, o.passed ? 'green' : 'red', o.passed ? 'ok' : 'MISMATCH'),
      ]),
    );
    parts.push(
      `parity (${p.source}, rtol ${p.rtol}, atol ${p.atol})\n` +
        renderTable(
          ['set', 'output', 'max abs err', 'max rel err', 'mismatches', 'worst element (actual vs expected)', ''],
          rows,
          options,
        ),
    );
  }
  const { errors, warnings } = result.summary;
  const counts = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  parts.push(
    result.passed
      ? paint(options, 'green', `PASSED`) + ` ${result.model.path} (${counts})`
      : paint(options, 'red', `FAILED`) + ` ${result.model.path} (${counts})`,
  );
  return joinSections(parts, options) + '\n';
}

/** Soft-wrap long messages at spaces so tables stay readable in a terminal. */
function wrap(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => {
      const out: string[] = [];
      let current = '';
      for (const word of line.split(' ')) {
        if (current && (current + ' ' + word).length > width) {
          out.push(current);
          current = word;
        } else current = current ? `${current} ${word}` : word;
      }
      out.push(current);
      return out.join('\n');
    })
    .join('\n');
}
