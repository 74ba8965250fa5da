/**
 * `--log-predictions FILE --sample-rate R`: sampled rows of live traffic
 * (inputs, then outputs) appended to a CSV file that `mlops drift --current`
 * reads. A request only picks its rows and queues their text; one writer
 * appends in the background, so a slow disk never slows an answer (when the
 * queue is full, rows are dropped and counted, never waited for).
 *
 * Rotation by size: FILE becomes FILE's `.1` sibling (predictions.1.csv),
 * `.1` becomes `.2`..., keeping `keep` old files. Every file starts with its
 * header and holds whole lines only: a batch of lines is never split across
 * files. A batch with another header (a reload changed the outputs) starts a
 * new file, so no file mixes two layouts.
 */
import { type FileHandle, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Tensor } from '../onnx/tensor.js';
import { type CapturedRows, captureRows, type LoggedInputs, type LoggedLines, predictionLines } from './logged-rows.js';
import type { LiveVersion } from './served-model.js';

export interface PredictionLogOptions {
  file: string;
  /** Share of rows logged, 0..1 (each row is drawn on its own). */
  sampleRate: number;
  /** Rotate when the file would pass this size (default 100 MiB). */
  maxBytes?: number;
  /** Rotated files kept (default 5). */
  keep?: number;
  /** Text waiting to be written at most; beyond, rows are dropped (default 16 MiB). */
  maxQueueBytes?: number;
  /** Draws in [0, 1) (tests pass a seeded one). */
  random?: () => number;
  /** Rows dropped because the queue was full. */
  onDropped?: (rows: number) => void;
  /** A write failed (the disk is full...): said once per failure, the server keeps answering. */
  onError?: (err: Error) => void;
}

interface Chunk extends LoggedLines {
  rows: number;
}

/** predictions.csv -> predictions.<n>.csv */
export function rotatedName(file: string, n: number): string {
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}.${n}${ext}`;
}

export class PredictionLog {
  private readonly queue: Chunk[] = [];
  private queuedBytes = 0;
  private handle: FileHandle | undefined;
  private header: string | undefined;
  private size = 0;
  private writing: Promise<void> | undefined;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly maxQueueBytes: number;
  private readonly random: () => number;
  /** A write failed and none has succeeded since: say it once, not once per request. */
  private failing = false;

  constructor(private readonly options: PredictionLogOptions) {
    this.maxBytes = options.maxBytes ?? 100 * 1024 * 1024;
    this.keep = options.keep ?? 5;
    this.maxQueueBytes = options.maxQueueBytes ?? 16 * 1024 * 1024;
    this.random = options.random ?? Math.random;
  }

  get file(): string {
    return this.options.file;
  }

  /** The rows of an `n`-row request to log (none most of the time at a low rate). */
  pick(n: number): number[] {
    const rate = this.options.sampleRate;
    if (rate <= 0) return [];
    const picked: number[] = [];
    for (let r = 0; r < n; r++) if (rate >= 1 || this.random() < rate) picked.push(r);
    return picked;
  }

  /**
   * Before inference: draw the rows to log and keep their inputs as text
   * (nothing when none is drawn, which is most requests at a low rate).
   */
  capture(live: LiveVersion, inputs: LoggedInputs, rows: number): CapturedRows | undefined {
    const picked = this.pick(rows);
    if (!picked.length) return undefined;
    try {
      return captureRows(live, inputs, picked);
    } catch (err) {
      this.options.onError?.(err as Error);
      return undefined;
    }
  }

  /** After the answer is sent: queue the captured rows with their outputs. Never throws. */
  finish(captured: CapturedRows | undefined, outputs: Record<string, Tensor>): void {
    if (!captured) return;
    try {
      this.append(predictionLines(captured, outputs), captured.picked.length);
    } catch (err) {
      this.options.onError?.(err as Error);
    }
  }

  /** Queue lines for the writer; returns at once. */
  append(lines: LoggedLines, rows: number): void {
    if (!rows) return;
    const bytes = Buffer.byteLength(lines.text);
    if (this.queuedBytes + bytes > this.maxQueueBytes) {
      this.options.onDropped?.(rows);
      return;
    }
    this.queue.push({ ...lines, rows });
    this.queuedBytes += bytes;
    this.writing ??= this.drain().finally(() => {
      this.writing = undefined;
    });
  }

  /** Wait until everything queued is on disk (tests; shutdown), then close the file. */
  async close(): Promise<void> {
    while (this.writing) await this.writing;
    await this.handle?.close();
    this.handle = undefined;
  }

  /** Everything queued so far is written (a test's barrier). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const chunk = this.queue.shift()!;
      this.queuedBytes -= Buffer.byteLength(chunk.text);
      try {
        await this.write(chunk);
        this.failing = false;
      } catch (err) {
        if (!this.failing) this.options.onError?.(err as Error);
        this.failing = true;
        this.options.onDropped?.(chunk.rows);
        await this.handle?.close().catch(() => {});
        this.handle = undefined;
      }
    }
  }

  private async write(chunk: Chunk): Promise<void> {
    if (!this.handle) await this.openFile();
    const headerLine = `${chunk.header}\n`;
    const needsRotation =
      this.size > 0 &&
      (this.header !== chunk.header || this.size + Buffer.byteLength(chunk.text) > this.maxBytes) &&
      // A file holding only its header has nothing to rotate away for size.
      !(this.header === chunk.header && this.size === Buffer.byteLength(headerLine));
    if (needsRotation) await this.rotate();
    let text = chunk.text;
    if (this.size === 0) {
      text = headerLine + text;
      this.header = chunk.header;
    }
    await this.handle!.write(text);
    this.size += Buffer.byteLength(text);
  }

  private async openFile(): Promise<void> {
    const file = this.options.file;
    const info = await stat(file).catch(() => undefined);
    this.size = info?.size ?? 0;
    // An existing log goes on if its header is ours (a restarted server); write() rotates it otherwise.
    this.header = this.size ? (await readFile(file, 'utf8')).split('\n', 1)[0] : undefined;
    this.handle = await open(file, 'a');
  }

  private async rotate(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    const file = this.options.file;
    if (this.keep === 0) await unlink(file).catch(() => {});
    else {
      for (let n = this.keep - 1; n >= 1; n--)
        await rename(rotatedName(file, n), rotatedName(file, n + 1)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      await rename(file, rotatedName(file, 1));
    }
    this.handle = await open(file, 'a');
    this.size = 0;
    this.header = undefined;
  }
}
