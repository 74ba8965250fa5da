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
import type { OutputTarget } from '../util/fs-atomic.js';

export interface OutputPlan {
  /** Output path per input, in input order ('-' for stdout). */
  outputs: string[];
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
    outputs = inputs.map((input) => path.join(dir, path.basename(input)));
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
  const rejects = outputs.map((output) =>
    options.onError !== 'skip'
      ? undefined
      : (options.rejects ?? (rejectsDir ? path.join(rejectsDir, path.basename(output)) : undefined)),
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
  return { outputs, rejects, ...(rejectsDir ? { rejectsDir } : {}), targets };
}
