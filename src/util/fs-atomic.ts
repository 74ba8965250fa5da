import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { MlopsError } from './errors.js';

/** Temporary files not yet renamed or removed: an interrupted run deletes them (see removeLiveTemps). */
const liveTemps = new Set<string>();

/** Temporary name in the target's own folder, so the final rename is atomic. */
export function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  return path.join(dir, `.${base}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Create the temporary file for `target`. A folder that does not exist or
 * cannot be written is the user's to fix (exit 2), not an internal error.
 */
export async function openTemp(target: string): Promise<{ temp: string; handle: FileHandle }> {
  const temp = tempPathFor(target);
  try {
    const handle = await open(temp, 'wx');
    liveTemps.add(temp);
    return { temp, handle };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const dir = path.dirname(target);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new MlopsError('OUTPUT_DIR_MISSING', `cannot write ${target}: folder ${dir} does not exist`, { hint: `create it first (mkdir -p ${dir})` });
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new MlopsError('OUTPUT_NOT_WRITABLE', `cannot write ${target}: folder ${dir} is not writable (${code})`, { hint: 'choose another output path' });
    throw err;
  }
}

/** Rename the finished temporary file over the target (or remove it); either way it is no longer live. */
export async function commitTemp(temp: string, target: string): Promise<void> {
  try {
    await rename(temp, target);
  } catch (err) {
    await discardTemp(temp);
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') throw new MlopsError('OUTPUT_IS_FOLDER', `cannot write ${target}: it is a folder`, { hint: 'name a file' });
    throw err;
  }
  liveTemps.delete(temp);
}

export async function discardTemp(temp: string): Promise<void> {
  await rm(temp, { force: true });
  liveTemps.delete(temp);
}

/** On SIGINT/SIGTERM: delete every unfinished temporary file, synchronously (the process is about to exit). */
export function removeLiveTemps(): void {
  for (const temp of liveTemps) rmSync(temp, { force: true });
  liveTemps.clear();
}

/**
 * Write a file so that a crash leaves either the old file or the new one:
 * write to a temporary file beside it, fsync, rename over the target.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const { temp, handle } = await openTemp(target);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await discardTemp(temp);
    throw err;
  }
  await handle.close();
  await commitTemp(temp, target);
}
