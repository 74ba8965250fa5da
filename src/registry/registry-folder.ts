/**
 * The registry folder itself: only `register` creates it. Every other
 * command needs it to exist, so a typo in --registry is an error (exit 2),
 * never an empty registry that "verifies" fine.
 */
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { MlopsError } from '../util/errors.js';
import { storageError } from './storage-errors.js';

const WHERE_HINT =
  'check `registry` or MLOPS_REGISTRY (the default is ./.mlops in the current folder); mlops registry register creates a new registry';

function notAFolder(root: string): MlopsError {
  return new MlopsError('REGISTRY_NOT_A_FOLDER', `registry ${root} is not a folder`, { hint: WHERE_HINT });
}

/** The nearest ancestor of `p` that exists but is not a folder (what ENOTDIR is about). */
async function blockingFile(p: string): Promise<string | undefined> {
  for (let dir = path.dirname(p); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const info = await stat(dir).catch(() => undefined);
    if (info) return info.isDirectory() ? undefined : dir;
  }
  return undefined;
}

/** The registry folder must exist and be a folder. */
export async function checkRegistryFolder(root: string): Promise<void> {
  let info: Stats;
  try {
    info = await stat(root);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const file = code === 'ENOTDIR' ? await blockingFile(root) : undefined;
      throw new MlopsError(
        'REGISTRY_NOT_FOUND',
        `registry folder ${root} does not exist${file ? ` (${file} is not a folder)` : ''}`,
        { hint: WHERE_HINT },
      );
    }
    throw storageError(err, 'read', root, root);
  }
  if (!info.isDirectory()) throw notAFolder(root);
}

/** `register`: create the registry folder when it does not exist yet. */
export async function createRegistryFolder(root: string): Promise<void> {
  const info = await stat(root).catch(() => undefined);
  if (info && !info.isDirectory()) throw notAFolder(root);
  try {
    await mkdir(root, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EEXIST') {
      const file = await blockingFile(root);
      throw new MlopsError(
        'REGISTRY_NOT_A_FOLDER',
        `cannot create the registry folder ${root}${file ? `: ${file} is not a folder` : ''}`,
        { hint: WHERE_HINT },
      );
    }
    throw storageError(err, 'write', root, root);
  }
}

/**
 * Whether a later register could write here (a command that registers its
 * result after minutes of work finds out first): the registry, or the nearest
 * folder that would hold it, is a writable folder.
 */
export async function checkRegistryWritable(root: string, option: string): Promise<void> {
  for (let dir = root; ; dir = path.dirname(dir)) {
    const info = await stat(dir).catch(() => undefined);
    if (info) {
      if (!info.isDirectory())
        throw new MlopsError(
          'REGISTRY_NOT_A_FOLDER',
          `${option}: the registry ${root} cannot be used: ${dir} is not a folder`,
          { hint: WHERE_HINT },
        );
      const writable = await access(dir, constants.W_OK).then(
        () => true,
        () => false,
      );
      if (!writable)
        throw new MlopsError(
          'REGISTRY_NOT_WRITABLE',
          `${option}: the registry ${root} cannot be written (${dir} is not writable)`,
          { hint: 'check the permissions, or choose another `registry`' },
        );
      return;
    }
    if (path.dirname(dir) === dir) return;
  }
}
