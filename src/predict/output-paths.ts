/**
 * Where each input's predictions go, checked before any work starts: a missing
 * folder, two inputs sharing one output, or an output that is an input would
 * otherwise surface after minutes of work, or silently destroy data.
 */
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveOutputTarget } from '../util/fs-atomic.js';
import { MlopsError } from '../util/errors.js';

export interface OutputPlan {
  /** Output path per input, in input order ('-' for stdout). */
  outputs: string[];
  /** Rejects file per input (with --on-error skip), else undefined. */
  rejects: Array<string | undefined>;
  /** DIR/rejects with --output-dir: published files only, removed again if none. */
  rejectsDir?: string;
}

async function identity(file: string): Promise<string> {
  const info = await stat(file).catch(() => undefined);
  return info ? `${info.dev}:${info.ino}` : `path:${path.resolve(file)}`;
}

export async function planOutputs(inputs: string[], options: { output?: string; outputDir?: string; rejects?: string; onError?: 'fail' | 'skip' }): Promise<OutputPlan> {
  let outputs: string[];
  if (options.outputDir) {
    const dir = options.outputDir;
    outputs = inputs.map((input) => path.join(dir, path.basename(input)));
    const seen = new Map<string, string>();
    inputs.forEach((input, i) => {
      const other = seen.get(outputs[i]);
      if (other) {
        throw new MlopsError('USAGE', `inputs ${other} and ${input} would both write ${outputs[i]}`, { hint: 'give the inputs distinct file names, or run them separately with --output' });
      }
      seen.set(outputs[i], input);
    });
    const info = await stat(dir).catch(() => undefined);
    if (info && !info.isDirectory()) throw new MlopsError('USAGE', `--output-dir ${dir} is a file, not a folder`);
    if (!info) {
      await mkdir(dir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
        throw new MlopsError('OUTPUT_DIR_MISSING', `--output-dir ${dir} cannot be created (${err.code})`, { hint: 'check the path and its permissions' });
      });
    }
  } else {
    outputs = inputs.map(() => options.output!);
  }
  // With --output-dir, each input's rejects go to DIR/rejects/<name>, out of the way of a later DIR/*.csv.
  let rejectsDir: string | undefined;
  if (options.onError === 'skip' && options.outputDir && !options.rejects) {
    rejectsDir = path.join(options.outputDir, 'rejects');
    await mkdir(rejectsDir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      throw new MlopsError('OUTPUT_DIR_MISSING', `cannot create ${rejectsDir} for the rejected rows (${err.code})`, { hint: 'pass --rejects FILE, or check the folder\'s permissions' });
    });
  }
  const rejects = outputs.map((output) => (options.onError !== 'skip' ? undefined : options.rejects ?? (rejectsDir ? path.join(rejectsDir, path.basename(output)) : undefined)));

  const targets: Array<[string, string]> = [
    ...outputs.filter((o) => o !== '-').map((o): [string, string] => ['output', o]),
    ...rejects.filter((r): r is string => r !== undefined).map((r): [string, string] => ['rejects file', r]),
  ];
  // An output that is an input (or the rejects file) would replace data still being read.
  const inputIds = new Map<string, string>();
  for (const input of inputs) inputIds.set(await identity(input), input);
  const targetIds = new Map<string, string>();
  for (const [what, target] of targets) {
    const resolved = await resolveOutputTarget(target, `the ${what} ${target}`);
    if (resolved.inPlace) continue; // a device or pipe: written as it goes, nothing to compare
    const id = await identity(resolved.path);
    const input = inputIds.get(id);
    if (input) throw new MlopsError('USAGE', `the ${what} ${target} is the input ${input}: predictions would replace the data`, { hint: 'write to another file' });
    const clash = targetIds.get(id);
    if (clash) throw new MlopsError('USAGE', `the ${what} ${target} is also the ${clash}`, { hint: 'write rejects and predictions to different files' });
    targetIds.set(id, `${what} ${target}`);
  }
  return { outputs, rejects, ...(rejectsDir ? { rejectsDir } : {}) };
}
