/**
 * One input file through the model: read rows, encode batches, infer them
 * (in the worker while the next batches are parsed, or on this thread when
 * the worker is behind), format and write the predictions in order. The
 * state of that loop (counters, the batches in flight, the output columns)
 * belongs to one FilePipeline; the run's shared parts come in a RunContext.
 */
import type { Tensor } from '../onnx/tensor.js';
import { MlopsError } from '../util/errors.js';
import { BatchEncoder, type EncodedBatch } from './encode.js';
import { outputColumns, type OutputColumn } from './format.js';
import { abortFileOutputs, type FileOutputs } from './commit.js';
import { nextChunk, type FilePlan, type InputSource } from './setup.js';
import { rowSpan, rowWord, type RowWord } from './row-place.js';
import type { FileSummary, RunContext } from './types.js';

type Inferred = [EncodedBatch, Record<string, Tensor>];

export class FilePipeline {
  private rowsRead = 0;
  private rowsWritten = 0;
  /** Set from the first batch's outputs, when the header is written. */
  private columns: OutputColumn[] | undefined;
  /**
   * Batches being inferred while the next one is parsed, oldest first: as
   * many as the runner runs at once. They are written in this order.
   */
  private inflight: Array<{ run: Promise<Inferred>; settled: boolean }> = [];
  private readonly encoder: BatchEncoder;
  private readonly keptNames: string[];
  /** Rows are named by line in a CSV, by row number in Parquet. */
  private readonly rowWord: RowWord;
  private started = 0;
  /** Where this file's predictions and rejects go; given to run(). */
  private out!: FileOutputs;

  /** Allocates the batch buffers: made before the outputs are opened, so a failure here leaves no file. */
  constructor(
    private readonly context: RunContext,
    private readonly source: InputSource,
    private readonly file: FilePlan,
  ) {
    const { options } = context;
    const { header } = source.headerInfo;
    this.rowWord = rowWord(source.headerInfo.format);
    this.encoder = new BatchEncoder(
      {
        file: source.input,
        header,
        plan: file.plan,
        onError: options.onError ?? 'fail',
        allowMissing: options.allowMissing ?? false,
        rowWord: this.rowWord,
      },
      file.batchSize,
      file.plan.fixedBatch,
    );
    this.keptNames = file.plan.keep.map((c) => header[c]);
  }

  /** Every row through the model into `out`, left open for the run to commit (or aborted on a failure). */
  async run(out: FileOutputs): Promise<FileSummary> {
    this.out = out;
    this.started = performance.now();
    const { timings, options } = this.context;
    const { encoder, source } = this;
    try {
      for (let chunk = this.file.first; chunk; ) {
        let t = performance.now();
        let r = 0;
        while (r < chunk.count) {
          r = encoder.add(chunk, r);
          if (encoder.full) {
            timings.parse += performance.now() - t;
            await this.takeRejects();
            await this.dispatch(encoder.finish());
            t = performance.now();
          }
        }
        await this.takeRejects();
        options.onProgress?.({
          file: source.input,
          unit: source.headerInfo.parquet ? 'rows' : 'bytes',
          bytesDone: chunk.bytesRead,
          bytesTotal: source.bytesTotal,
          rows: this.rowsRead + encoder.rows,
          elapsedMs: performance.now() - this.started,
        });
        chunk = await nextChunk(source.rows);
        timings.parse += performance.now() - t;
      }
      await this.takeRejects();
      await this.dispatch(encoder.finish());
      await this.awaitInflight();
      if (!this.columns) await this.writeHeader(await this.emptyRun());
      await this.out.sink.end();
    } catch (err) {
      await Promise.allSettled(this.inflight.map((b) => b.run));
      await abortFileOutputs(this.out);
      throw err;
    }
    return this.summary();
  }

  private summary(): FileSummary {
    const { options } = this.context;
    const { header } = this.source.headerInfo;
    const { plan } = this.file;
    const { rejects, rejectsPath } = this.out;
    const { range, rowRange } = this.source;
    return {
      input: this.source.input,
      output: this.out.output,
      rows_read: this.rowsRead,
      rows_written: this.rowsWritten,
      rows_rejected: rejects.count,
      rejects_file: rejectsPath && (rejects.count > 0 || options.rejects !== undefined) ? rejectsPath : null,
      shard: !options.shard
        ? null
        : rowRange
          ? { ...options.shard, row_start: rowRange.start, row_end: rowRange.end }
          : range
            ? { ...options.shard, byte_start: range.start, byte_end: range.end }
            : null,
      feature_source: plan.featureSource,
      features: plan.bindings.flatMap((b) => b.columns.map((c) => header[c])),
      kept: this.keptNames,
      output_columns: (this.columns ?? []).flatMap((c) => c.names),
      batch_size: this.file.batchSize,
    };
  }

  /** Rows the encoder set aside, to the rejects log; too many stop the run. */
  private async takeRejects(): Promise<void> {
    const { rejects, rejectsPath } = this.out;
    const { maxRejects } = this.context.options;
    const taken = this.encoder.takeRejects();
    this.rowsRead += taken.length;
    await rejects.add(taken);
    if (maxRejects !== undefined && rejects.count > maxRejects) {
      const last = rejects.last!;
      // A model that cannot load is reported instead, with nothing published (it compiles while rows are read).
      await this.context.runner.ready;
      // The rejects so far are what the user needs to fix the input: publish them, but no predictions.
      await rejects.commit();
      throw new MlopsError(
        'TOO_MANY_REJECTS',
        `${this.source.input}: ${rejects.count} rejected rows, more than \`maxRejects\` ${maxRejects} (latest: ${this.rowWord} ${last.line}: ${last.reason})`,
        {
          hint: `the input is worse than allowed; no predictions were written${rejectsPath ? `; the rejected rows so far are in ${rejectsPath}` : ' (pass `rejects` FILE to see the rejected rows)'}`,
        },
      );
    }
  }

  /**
   * Start inferring a batch, then write, in order, the batches already done: inference runs in the worker
   * (or, when it is behind, here) while we parse the next. Waits only when the runner holds all it takes.
   */
  private async dispatch(encoded: EncodedBatch): Promise<void> {
    this.rowsRead += encoded.rows;
    const { input } = this.source;
    const { runner } = this.context;
    const here = encoded.rows > 0 && (runner.runsHere?.(encoded.rows) ?? false);
    const run: Promise<Inferred> | undefined =
      encoded.rows > 0
        ? runner.run(encoded.feeds, this.file.fetch, this.file.plan.fixedBatch).then(
            (r): Inferred => [encoded, r],
            (err) => {
              // Say which rows: a model that fails on some batches only (a value out of a lookup's range...) is found there.
              // (A model that did not load is not about these rows.)
              if (err instanceof MlopsError && err.code !== 'RUNTIME_LOAD_FAILED')
                throw new MlopsError(
                  err.code,
                  `${input}: ${rowSpan(this.rowWord, encoded.firstLine, encoded.lastLine)}: ${err.message}`,
                  { hint: err.hint, cause: err },
                );
              throw err;
            },
          )
        : undefined;
    if (run) {
      const batch = { run, settled: false };
      // Handled when awaited; the catch also avoids an unhandled rejection meanwhile.
      run.then(
        () => (batch.settled = true),
        () => (batch.settled = true),
      );
      this.inflight.push(batch);
      if (here) {
        // The main thread's own run: awaited now (onnxruntime-node runs it from setImmediate), so it
        // is timed as itself and is never counted in another stage's wait. Failures come with the write.
        const t = performance.now();
        await run.catch(() => {});
        this.context.timings.inferMain += performance.now() - t;
      }
    }
    // Write what is done; wait only when the runner holds all it takes.
    const parallel = runner.parallel?.(this.file.batchSize) ?? 1;
    while (this.inflight.length > 0 && (this.inflight.length >= parallel + 1 || this.inflight[0].settled))
      await this.writeOldest();
  }

  private async awaitInflight(): Promise<void> {
    while (this.inflight.length > 0) await this.writeOldest();
  }

  private async writeOldest(): Promise<void> {
    const { timings } = this.context;
    const tw = performance.now();
    const [done, results] = await this.inflight[0].run;
    this.inflight.shift();
    timings.inferWait += performance.now() - tw;
    await this.writeResults(done, results);
  }

  private async writeResults(encoded: EncodedBatch, results: Record<string, Tensor>): Promise<void> {
    const { fetch } = this.file;
    const tensors = fetch.map((name) => results[name]);
    tensors.forEach((t, i) => {
      if (t.dims.length === 0 || t.dims[0] !== encoded.fed) {
        throw new MlopsError(
          'OUTPUT_NOT_PER_ROW',
          `model output "${fetch[i]}" has shape [${t.dims.join(', ')}] for a batch of ${encoded.fed} rows: it does not give one row per input row, so it cannot be written as CSV columns`,
          {
            hint: 'predict-batch writes outputs whose first axis is the batch; export the model so that every output it returns has one',
          },
        );
      }
    });
    if (!this.columns) await this.writeHeader(tensors);
    await this.out.sink.write(encoded.rows, encoded.kept, tensors);
    this.rowsWritten += encoded.rows;
  }

  private async writeHeader(tensors: Tensor[]): Promise<void> {
    const { signature, zipmaps } = this.context;
    this.columns = outputColumns(
      signature.model,
      this.file.fetch.map((n, i) => [n, tensors[i]]),
      zipmaps,
      new Set(this.keptNames),
    );
    // A Parquet input's kept columns keep their types in a Parquet output.
    const { header, parquet } = this.source.headerInfo;
    const kept = this.file.plan.keep.map((c) => ({
      name: header[c],
      ...(parquet ? { parquetType: parquet.columns[c].type } : {}),
    }));
    await this.out.sink.begin(kept, this.columns, tensors);
  }

  /** Output widths when there are no rows: run on a zero-row batch where the model allows it. */
  private async emptyRun(): Promise<Tensor[]> {
    const { runner, signature } = this.context;
    const { fetch } = this.file;
    const empty = this.encoder.finish();
    // A model that did not load must fail the run, not fall back to its declared shapes below.
    await runner.ready;
    try {
      const results = await runner.run(empty.feeds, fetch);
      return fetch.map((n) => results[n]);
    } catch {
      // Some models reject empty batches: fall back to the declared shapes of the fetched outputs,
      // in fetch order (writeHeader pairs fetch[i] with the i-th tensor; a left-out output must not shift them).
      const declared = new Map(signature.tensorOutputs.map((o) => [o.name, o]));
      return fetch.map((name) => {
        const o = declared.get(name)!;
        return {
          type: o.type as Tensor['type'],
          dims: (o.shape ?? [0]).map((d) => (typeof d === 'number' ? d : 0)),
          data: new Float32Array(0),
        };
      });
    }
  }
}
