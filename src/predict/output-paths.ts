/**
 * Where each input's predictions go, checked before any work starts: a missing
 * folder, two inputs sharing one output, or an output that is an input would
 * otherwise surface after minutes of work, or silently destroy data.
 */
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { MlopsError } from '../util/errors.js';

export interface OutputPlan {
  /** Output path per input, in input order ('-' for stdout). */
  outputs: string[];
}

async function identity(file: string): Promise<string> {
  const info = await stat(file).catch(() => undefined);
  return info ? `${info.dev}:${info.ino}` : `path:${path.resolve(file)}`;
}

async function assertFolder(dir: string, what: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new MlopsError('OUTPUT_DIR_MISSING', `${what}: folder ${dir} does not exist`, { hint: `create it first (mkdir -p ${dir})` });
  if (!info.isDirectory()) throw new MlopsError('OUTPUT_DIR_MISSING', `${what}: ${dir} is not a folder`);
}

export async function planOutputs(inputs: string[], options: { output?: string; outputDir?: string; rejects?: string }): Promise<OutputPlan> {
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
    if (options.output !== '-') await assertFolder(path.dirname(options.output!), `--output ${options.output}`);
  }
  if (options.rejects) await assertFolder(path.dirname(options.rejects), `--rejects ${options.rejects}`);

  // An output that is an input (or the rejects file) would replace data still being read.
  const inputIds = new Map<string, string>();
  for (const input of inputs) inputIds.set(await identity(input), input);
  const targets = [...outputs.filter((o) => o !== '-').map((o) => ['output', o]), ...(options.rejects ? [['rejects file', options.rejects]] : [])];
  const targetIds = new Map<string, string>();
  for (const [what, target] of targets) {
    const id = await identity(target);
    const input = inputIds.get(id);
    if (input) throw new MlopsError('USAGE', `the ${what} ${target} is the input ${input}: predictions would replace the data`, { hint: 'write to another file' });
    const clash = targetIds.get(id);
    if (clash) throw new MlopsError('USAGE', `the ${what} ${target} is also the ${clash}`, { hint: 'write rejects and predictions to different files' });
    targetIds.set(id, what);
  }
  return { outputs };
}
