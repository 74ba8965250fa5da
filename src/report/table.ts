import Table from 'cli-table3';
import type { RenderOptions } from './style.js';

export type Cell = string | number | { content: string; colSpan?: number; hAlign?: 'left' | 'center' | 'right' };

/** A cli-table3 table; borders and heads in plain text unless colour is on. */
export function renderTable(head: string[], rows: Cell[][], options: RenderOptions, align?: Array<'left' | 'right'>): string {
  const table = new Table({
    head,
    style: { head: options.color ? ['cyan'] : [], border: options.color ? ['grey'] : [] },
    ...(align ? { colAligns: align } : {}),
  });
  for (const row of rows) table.push(row as never);
  return table.toString();
}

/** Two-column key/value table. */
export function renderFields(fields: Array<[string, string | number]>, options: RenderOptions): string {
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

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
