/**
 * Where each input's predictions go, checked before any work starts: a missing
 * folder, two inputs sharing one output, or an output that is an input would
 * otherwise surface after minutes of work, or silently destroy data.
 */
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { guardOutputs } from '../util/output-guard.js';
import { registryRoot } from '../registry/folder-store.js';
import { MlopsError } from '../util/errors.js';
import { PARQUET_COMPRESSIONS } from '../table/parquet/parquet-writer.js';
import type { OutputTarget } from '../util/fs-atomic.js';
import type { OutputFormat } from './prediction-sink.js';

export interface OutputPlan {
  /** Output path per input, in input order ('-' for stdout). */
  outputs: string[];
  /** Each output's format: `outputFormat`, else Parquet for a name ending in .parquet, else CSV. */
  formats: OutputFormat[];
  /** Rejects file per input (with --on-error skip), else undefined. */
  rejects: Array<string | undefined>;
  /** DIR/rejects with --output-dir: published files only, removed again if none. */
  rejectsDir?: string;
  /** Where each output and rejects file resolved to (by path as given), checked once here and opened as is. */
  targets: Map<string, OutputTarget>;
}

export interface OutputPlanOptions {
  output?: string;
  outputDir?: string;
  rejects?: string;
  onError?: 'fail' | 'skip';
  outputFormat?: OutputFormat;
  compression?: string;
  /** The model file or reference: never an output. */
  model: string;
  registry?: string;
}

export async function planOutputs(inputs: string[], options: OutputPlanOptions): Promise<OutputPlan> {
  let outputs: string[];
  let folderMissing = false;
  // With --output-dir, each input's rejects go to DIR/rejects/<name>, out of the way of a later DIR/*.csv.
  let rejectsDir: string | undefined;
  if (options.outputDir) {
    const dir = options.outputDir;
    // An asked-for format names the files after it (part-0.csv -> part-0.parquet); else each output mirrors its input's name, and so its format.
    const named = (input: string) =>
      options.outputFormat ? withExtension(path.basename(input), options.outputFormat) : path.basename(input);
    outputs = inputs.map((input) => path.join(dir, named(input)));
    const seen = new Map<string, string>();
    inputs.forEach((input, i) => {
      const other = seen.get(outputs[i]);
      if (other) {
        throw new MlopsError('OUTPUT_CLASH', `inputs ${other} and ${input} would both write ${outputs[i]}`, {
          hint: 'give the inputs distinct file names, or run them separately with `output`',
        });
      }
      seen.set(outputs[i], input);
    });
    const info = await stat(dir).catch(() => undefined);
    if (info && !info.isDirectory())
      throw new MlopsError('OUTPUT_DIR_MISSING', `\`outputDir\` ${dir} is a file, not a folder`);
    folderMissing = !info;
    if (options.onError === 'skip' && !options.rejects) rejectsDir = path.join(dir, 'rejects');
  } else {
    outputs = inputs.map(() => options.output!);
  }
  const formats = outputs.map((o) => outputFormatOf(o, options.outputFormat));
  checkFormats(outputs, formats, options);
  // Rejected rows are CSV whatever the predictions' format: a Parquet output's are named .csv.
  const rejectsName = (output: string, i: number) =>
    formats[i] === 'parquet' ? withExtension(path.basename(output), 'csv') : path.basename(output);
  const rejects = outputs.map((output, i) =>
    options.onError !== 'skip'
      ? undefined
      : (options.rejects ?? (rejectsDir ? path.join(rejectsDir, rejectsName(output, i)) : undefined)),
  );

  // An output that is an input, the model, another output or a registry's file would replace data still needed.
  // Checked before any folder is made: a refused run leaves nothing behind (not even DIR/rejects).
  const targets = await guardOutputs(
    [
      ...outputs.map((o) => ({ path: o, what: 'the output' })),
      ...rejects.filter((r): r is string => r !== undefined).map((r) => ({ path: r, what: 'the rejects file' })),
    ],
    [...inputs.map((input) => ({ path: input, what: 'the input' })), { path: options.model, what: 'the model' }],
    {
      registries: [registryRoot(options.registry)],
      ...(options.outputDir ? { createsFolder: options.outputDir } : {}),
    },
  );
  // A Parquet file is written whole, then renamed: a device or a pipe cannot take it.
  outputs.forEach((o, i) => {
    if (formats[i] === 'parquet' && targets.get(o)?.inPlace) throw notSeekable(o);
  });
  if (folderMissing) {
    await mkdir(options.outputDir!, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      throw new MlopsError('OUTPUT_DIR_MISSING', `\`outputDir\` ${options.outputDir} cannot be created (${err.code})`, {
        hint: 'check the path and its permissions',
      });
    });
  }
  if (rejectsDir) {
    await mkdir(rejectsDir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      throw new MlopsError('OUTPUT_DIR_MISSING', `cannot create ${rejectsDir} for the rejected rows (${err.code})`, {
        hint: "pass `rejects` FILE, or check the folder's permissions",
      });
    });
  }
  return { outputs, formats, rejects, ...(rejectsDir ? { rejectsDir } : {}), targets };
}

export function outputFormatOf(output: string, asked: OutputFormat | undefined): OutputFormat {
  if (asked) return asked;
  return /\.parquet$/i.test(output) ? 'parquet' : 'csv';
}

/** `name` with the format's extension in place of a table's (.csv, .tsv, .txt, .parquet, .pq), or added. */
function withExtension(name: string, format: OutputFormat): string {
  return `${name.replace(/\.(csv|tsv|txt|parquet|pq)$/i, '')}.${format}`;
}

function notSeekable(output: string): MlopsError {
  return new MlopsError(
    'PARQUET_NOT_SEEKABLE',
    `${output === '-' ? 'stdout' : output} cannot take Parquet: a Parquet file is written whole (its footer last) and renamed into place, which a pipe or device does not allow`,
    { hint: 'write to a file (`output` preds.parquet), or write CSV to stdout (`outputFormat` csv)' },
  );
}

function checkFormats(outputs: string[], formats: OutputFormat[], options: OutputPlanOptions): void {
  if (options.outputFormat !== undefined && !['csv', 'parquet'].includes(options.outputFormat))
    throw new MlopsError('OPTION_INVALID', `\`outputFormat\` must be csv or parquet, not ${options.outputFormat}`);
  outputs.forEach((o, i) => {
    if (o === '-' && formats[i] === 'parquet') throw notSeekable(o);
  });
  if (options.compression === undefined) return;
  if (!(PARQUET_COMPRESSIONS as readonly string[]).includes(options.compression))
    throw new MlopsError(
      'OPTION_INVALID',
      `\`compression\` must be one of ${PARQUET_COMPRESSIONS.join(', ')}, not ${options.compression}`,
    );
  if (!formats.includes('parquet'))
    throw new MlopsError('OPTIONS_CONFLICT', '`compression` applies to Parquet outputs, and the output is CSV', {
      hint: 'name the output *.parquet or pass `outputFormat` parquet, or drop `compression`',
    });
}
