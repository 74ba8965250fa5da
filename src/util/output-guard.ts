/**
 * Before any work: no output may be one of the command's inputs, and none may
 * land inside a model registry. Paths are compared by what they resolve to
 * (`./x`, symlinks, and hard links by device and inode), so no spelling of an
 * input gets past. Devices and pipes (`/dev/null`, a FIFO) are written in
 * place and never replace anything, so they are let through.
 */
import { stat } from 'node:fs/promises';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { MlopsError } from './errors.js';
import { resolveOutputTarget, type OutputTarget } from './fs-atomic.js';

export interface NamedPath {
  /** As the user gave it, for messages. */
  path: string;
  /** What it is, for messages: "--output", "the model", "the reference data". */
  what: string;
}

export interface GuardOptions {
  /** Registry folders the command knows of (its --registry); the default one (MLOPS_REGISTRY, ./.mlops) is always added. */
  registries?: Array<string | null>;
  /** A folder the command creates after this check: outputs inside it may not have their folder yet. */
  createsFolder?: string;
}

async function identity(file: string): Promise<string | undefined> {
  const info = await stat(file).catch(() => undefined);
  return info ? `${info.dev}:${info.ino}` : undefined;
}

function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** A path not created yet, through the real path of its nearest existing folder (a symlink into a registry counts). */
function realOfMissing(p: string): string {
  const rest: string[] = [];
  let dir = path.resolve(p);
  while (!existsSync(dir) && path.dirname(dir) !== dir) {
    rest.unshift(path.basename(dir));
    dir = path.dirname(dir);
  }
  return path.join(realOrResolved(dir), ...rest);
}

function isFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isInside(file: string, folder: string): boolean {
  const rel = path.relative(folder, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** A registry's root: its policy log, or a models/<name>/ with both a history and stored versions. */
function looksLikeRegistry(dir: string): boolean {
  if (existsSync(path.join(dir, 'policies.jsonl'))) return true;
  let models: string[];
  try {
    models = readdirSync(path.join(dir, 'models'));
  } catch {
    return false;
  }
  return models.some(
    (name) =>
      existsSync(path.join(dir, 'models', name, 'history.jsonl')) &&
      existsSync(path.join(dir, 'models', name, 'versions')),
  );
}

/**
 * The registry whose files (stored models, histories, policies, lock,
 * staging) `file` would replace: one of the known roots, or any ancestor
 * shaped like a registry, whichever registry the command was pointed at.
 */
export function registryHolding(file: string, roots: string[]): string | undefined {
  for (const root of roots) {
    const real = realOrResolved(root);
    if (existsSync(real) && isInside(file, real)) return root;
  }
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (looksLikeRegistry(dir)) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Throws (exit 2) when an output would write over an input, another output, or a registry's files.
 * Returns where each output (by its path as given; not '-') resolved to, for openOutput.
 */
export async function guardOutputs(
  outputs: NamedPath[],
  inputs: NamedPath[],
  options: GuardOptions = {},
): Promise<Map<string, OutputTarget>> {
  const targets = new Map<string, OutputTarget>();
  const inputIds = new Map<string, NamedPath>();
  const inputFolders: Array<NamedPath & { real: string }> = [];
  for (const input of inputs) {
    const id = await identity(input.path);
    if (id) inputIds.set(id, input);
    if (isFolder(input.path)) inputFolders.push({ ...input, real: realOrResolved(input.path) });
  }
  const outputIds = new Map<string, NamedPath>();
  for (const output of outputs) {
    if (output.path === '-') continue;
    const created =
      options.createsFolder !== undefined && isInside(path.resolve(output.path), path.resolve(options.createsFolder));
    const target =
      created && !existsSync(path.dirname(output.path))
        ? { path: realOfMissing(output.path), inPlace: false }
        : await resolveOutputTarget(output.path, `${output.what} ${output.path}`);
    targets.set(output.path, target);
    if (target.inPlace) continue;
    const real = path.join(realOrResolved(path.dirname(target.path)), path.basename(target.path));
    // A database registry (a postgres:// URL, or null from registryRoot) holds no files here.
    const folders = [...(options.registries ?? []), process.env.MLOPS_REGISTRY || '.mlops'].filter(
      (r): r is string => typeof r === 'string' && !/^postgres(ql)?:\/\//i.test(r),
    );
    const registry = registryHolding(real, folders);
    if (registry !== undefined) {
      throw new MlopsError(
        'OUTPUT_IN_REGISTRY',
        `${output.what} ${output.path} is inside the model registry at ${registry}: its stored files are immutable`,
        {
          hint: 'write the file elsewhere; to add a model to the registry, use mlops registry register',
        },
      );
    }
    const id = await identity(target.path);
    if (!id) {
      // Not there yet: only another output can name the same new file.
      const clash = outputIds.get(`new:${real}`);
      if (clash)
        throw new MlopsError('OUTPUT_CLASH', `${output.what} ${output.path} is also ${clash.what} ${clash.path}`, {
          hint: 'give each output its own file',
        });
      outputIds.set(`new:${real}`, output);
      continue;
    }
    // A file inside an input folder (a folder of calibration tensors, of CSV parts) is an input too.
    const input = inputIds.get(id) ?? inputFolders.find((folder) => isInside(real, folder.real));
    if (input) {
      throw new MlopsError(
        'OUTPUT_IS_INPUT',
        `${output.what} ${output.path} is ${input.what} ${input.path}: writing it would destroy an input`,
        {
          hint: 'write to another file',
        },
      );
    }
    const clash = outputIds.get(id);
    if (clash)
      throw new MlopsError('OUTPUT_CLASH', `${output.what} ${output.path} is also ${clash.what} ${clash.path}`, {
        hint: 'give each output its own file',
      });
    outputIds.set(id, output);
  }
  return targets;
}
