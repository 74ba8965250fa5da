/**
 * predict-batch's outputs become visible only once every input has succeeded:
 * a failed run leaves no results. Each file's predictions and rejects are
 * written to temporary files, held here, and renamed into place together.
 */
import { rmdir } from 'node:fs/promises';
import { fileSink, streamSink } from './output-sink.js';
import { RejectsLog } from './rejects-log.js';
import type { OutputPlan } from './output-paths.js';
import type { RowWord } from './row-place.js';
import { csvPredictionSink, type PredictionSink } from './prediction-sink.js';
import type { ParquetCompression } from '../table/parquet/parquet-writer.js';
import type { Timings } from './types.js';

/** One input's outputs, open for writing. */
export interface FileOutputs {
  /** The output path as planned ('-' for stdout). */
  output: string;
  sink: PredictionSink;
  rejects: RejectsLog;
  rejectsPath?: string;
}

/** Open input `i`'s outputs at the targets planning resolved. */
export async function openFileOutputs(
  planned: OutputPlan,
  i: number,
  options: {
    rejects?: string;
    stdout?: NodeJS.WritableStream;
    rowWord?: RowWord;
    compression?: ParquetCompression;
    timings: Timings;
  },
): Promise<FileOutputs> {
  const output = planned.outputs[i];
  const rejectsPath = planned.rejects[i];
  const sink = await openSink(planned, i, options);
  const resolved = rejectsPath === undefined ? undefined : planned.targets.get(rejectsPath);
  const rejects = await RejectsLog.open(rejectsPath, options.rejects !== undefined, resolved, options.rowWord).catch(
    async (err) => {
      await sink.abort();
      throw err;
    },
  );
  return { output, sink, rejects, ...(rejectsPath === undefined ? {} : { rejectsPath }) };
}

async function openSink(
  planned: OutputPlan,
  i: number,
  options: { stdout?: NodeJS.WritableStream; compression?: ParquetCompression; timings: Timings },
): Promise<PredictionSink> {
  const output = planned.outputs[i];
  const resolved = planned.targets.get(output);
  if (planned.formats[i] === 'parquet') {
    // DuckDB and the Parquet writer load only when a Parquet output is asked for.
    const { parquetPredictionSink } = await import('./parquet-sink.js');
    const { DEFAULT_PARQUET_COMPRESSION } = await import('../table/parquet/parquet-writer.js');
    return parquetPredictionSink({
      target: output,
      ...(resolved ? { resolved } : {}),
      compression: options.compression ?? DEFAULT_PARQUET_COMPRESSION,
      timings: options.timings,
    });
  }
  const text = output === '-' ? streamSink(options.stdout ?? process.stdout) : await fileSink(output, resolved);
  return csvPredictionSink(text, options.timings);
}

/** Remove what one input wrote; its targets are left as they were. */
export async function abortFileOutputs(outputs: FileOutputs): Promise<void> {
  await outputs.rejects.abort();
  await outputs.sink.abort();
}

/** Finished inputs' outputs, waiting for the whole run to succeed. */
export class RunCommit {
  private readonly held: FileOutputs[] = [];

  constructor(private readonly planned: OutputPlan) {}

  hold(outputs: FileOutputs): void {
    this.held.push(outputs);
  }

  /** Publish every held output (rejects first, then predictions); on a failure the rest stay held for abort(). */
  async commit(): Promise<void> {
    for (let o = this.held.shift(); o; o = this.held.shift()) {
      await o.rejects.commit();
      await o.sink.commit();
    }
  }

  async abort(): Promise<void> {
    for (const o of this.held.splice(0)) await abortFileOutputs(o);
  }

  /** DIR/rejects (with --output-dir) stays only if something was rejected. */
  async tidy(): Promise<void> {
    if (this.planned.rejectsDir) await rmdir(this.planned.rejectsDir).catch(() => {});
  }
}
