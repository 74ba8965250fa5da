import Table from 'cli-table3';
import type { RenderOptions } from './style.js';

export type Cell = string | number | { content: string; colSpan?: number; hAlign?: 'left' | 'center' | 'right' };

/** Above this many rows cli-table3 gets slow (370 ms for 1,000 rows): use plain columns. */
const BOXED_ROW_LIMIT = 200;

/** A cli-table3 table on a terminal (borders and heads in plain text unless colour is on), else plain columns. */
export function renderTable(
  head: string[],
  rows: Cell[][],
  options: RenderOptions,
  align?: Array<'left' | 'right'>,
): string {
  if (options.terminal === false || rows.length > BOXED_ROW_LIMIT) return renderColumns(head, rows, align);
  const table = new Table({
    head,
    style: { head: options.color ? ['cyan'] : [], border: options.color ? ['grey'] : [] },
    ...(align ? { colAligns: align } : {}),
  });
  for (const row of rows) table.push(row as never);
  return table.toString();
}

const ANSI = /\u001b\[[0-9;]*m/g;

function cellText(cell: Cell): string {
  return (typeof cell === 'object' ? cell.content : String(cell)).replace(/\n/g, ' ');
}

/** Aligned columns without borders, linear in the number of cells; an empty head prints no head line. */
export function renderColumns(head: string[], rows: Cell[][], align?: Array<'left' | 'right'>): string {
  const texts = [...(head.length ? [head] : []), ...rows.map((r) => r.map(cellText))];
  // reduce, not Math.max(...): a spread of thousands of rows overflows the call stack.
  const columns = texts.reduce((n, r) => Math.max(n, r.length), 0);
  const widths = Array.from({ length: columns }, (_, c) =>
    texts.reduce((w, r) => Math.max(w, (r[c] ?? '').replace(ANSI, '').length), 0),
  );
  return texts
    .map((r) =>
      r
        .map((t, c) => {
          const pad = ' '.repeat(Math.max(0, widths[c] - t.replace(ANSI, '').length));
          return align?.[c] === 'right' ? pad + t : t + pad;
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Tables one under another: boxes separate themselves; plain columns need a blank line between them. */
export function joinSections(parts: string[], options: RenderOptions): string {
  return parts.join(options.terminal === false ? '\n\n' : '\n');
}

/** Two-column key/value table (boxed on a terminal, plain key and value columns otherwise). */
export function renderFields(fields: Array<[string, string | number]>, options: RenderOptions): string {
  if (options.terminal === false) return renderColumns([], fields);
  const table = new Table({ style: { head: [], border: options.color ? ['grey'] : [] } });
  for (const [k, v] of fields) table.push({ [k]: String(v) } as never);
  return table.toString();
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${units[unit]}`;
}

export { formatCount } from '../util/format-number.js';
