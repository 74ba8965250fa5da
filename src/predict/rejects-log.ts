/**
 * Rejected rows, streamed to their own temporary file as they come (line,
 * reason, row), so a file of bad rows costs no memory; renamed into place
 * with the predictions, or kept alone when --max-rejects stops the run.
 */
import { csvField, type Reject } from './encode.js';
import { fileSink, type OutputSink } from './output-sink.js';
import type { OutputTarget } from '../util/fs-atomic.js';
import type { RowWord } from './row-place.js';

export class RejectsLog {
  count = 0;
  last: Reject | undefined;

  private constructor(
    private readonly sink: OutputSink | undefined,
    private readonly keepEmpty: boolean,
  ) {}

  /**
   * Without a path the rows are only counted. `keepEmpty`: publish the file
   * even with no rejected row (asked for by name: a header-only file says "none").
   * The first column is the row's line (CSV) or its 1-based row number (Parquet, `row_number`).
   */
  static async open(
    file: string | undefined,
    keepEmpty = true,
    resolved?: OutputTarget,
    word: RowWord = 'line',
  ): Promise<RejectsLog> {
    const sink = file ? await fileSink(file, resolved) : undefined;
    await sink?.write(`${word === 'line' ? 'line' : 'row_number'},reason,row\n`);
    return new RejectsLog(sink, keepEmpty);
  }

  async add(rejects: Reject[]): Promise<void> {
    if (rejects.length === 0) return;
    this.count += rejects.length;
    this.last = rejects[rejects.length - 1];
    if (!this.sink) return;
    let text = '';
    for (const r of rejects) text += `${r.line},${csvField(r.reason)},${csvField(r.row)}\n`;
    await this.sink.write(text);
  }

  async commit(): Promise<void> {
    if (this.count === 0 && !this.keepEmpty) await this.sink?.abort();
    else await this.sink?.commit();
  }

  async abort(): Promise<void> {
    await this.sink?.abort();
  }
}
