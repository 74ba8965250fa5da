/**
 * Rejected rows, streamed to their own temporary file as they come (line,
 * reason, row), so a file of bad rows costs no memory; renamed into place
 * with the predictions, or kept alone when --max-rejects stops the run.
 */
import { csvField, type Reject } from './encode.js';
import { fileSink, type OutputSink } from './output-sink.js';

export class RejectsLog {
  count = 0;
  last: Reject | undefined;

  private constructor(private readonly sink: OutputSink | undefined) {}

  /** Without a path the rows are only counted. */
  static async open(file: string | undefined): Promise<RejectsLog> {
    const sink = file ? await fileSink(file) : undefined;
    await sink?.write('line,reason,row\n');
    return new RejectsLog(sink);
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
    await this.sink?.commit();
  }

  async abort(): Promise<void> {
    await this.sink?.abort();
  }
}
