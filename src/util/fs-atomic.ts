/**
 * Output files that appear whole or not at all: written to a temporary file
 * beside the target, fsynced, renamed over it. Devices and pipes
 * (/dev/stdout, a FIFO) are written in place: renaming over them would
 * replace them (as root, `--output /dev/null` would delete /dev/null).
 */
import { randomBytes } from 'node:crypto';
import { constants, rmSync } from 'node:fs';
import {
  access,
  lstat,
  open,
  readdir,
  readlink,
  realpath,
  rename,
  rm,
  stat,
  utimes,
  type FileHandle,
} from 'node:fs/promises';
import path from 'node:path';
import { MlopsError } from './errors.js';
import { ownerTag, processAlive } from './process-owner.js';

/** Temporary files (and staging folders) not yet renamed or removed: an interrupted run deletes them (see removeLiveTemps). */
const liveTemps = new Set<string>();

/** Temporary name in the target's own folder, so the final rename is atomic; it names its owner (see process-owner). */
function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  return path.join(dir, `.${base}.tmp-${ownerTag()}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Remove temporaries of `target` that a killed run (SIGKILL, power loss) left
 * behind: the next run that writes the target cleans up. Older releases named
 * them without an owner tag; those are judged by age.
 */
export function removeStaleTemps(target: string): Promise<string[]> {
  return removeAbandoned(
    path.dirname(target),
    new RegExp(`^\\.${escapeRegExp(path.basename(target))}\\.tmp-(?:([0-9a-f]{8})-)?(\\d+)-[0-9a-f]{8}$`),
  );
}

/**
 * Files or folders in `dir` named by `pattern` (groups: owner tag, pid)
 * whose owner is gone: what killed runs left. Returns what was removed.
 */
export async function removeAbandoned(dir: string, pattern: RegExp): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    const match = pattern.exec(entry);
    if (!match) continue;
    const file = path.join(dir, entry);
    const info = await lstat(file).catch(() => undefined);
    if (!info || !(info.isFile() || info.isDirectory())) continue;
    const owner = { tag: match[1] ?? 'untagged', pid: Number(match[2]) };
    if (!tempAbandoned(owner, info.mtimeMs, liveTemps.has(file))) continue;
    await rm(file, { recursive: true, force: true }).catch(() => {});
    removed.push(file);
  }
  return removed;
}

/** A temporary of an owner we cannot check (another namespace or host) is abandoned once untouched this long. */
export const FOREIGN_TEMP_STALE_MS = 10 * 60_000;

/**
 * Our own namespace: a dead pid at once (this very pid counts as dead unless
 * the file is one of ours in use: a container's main process is often pid 1
 * on every run). A live pid may be a reused one, so, as for anyone else's,
 * by age too: live owners touch their files every minute.
 */
function tempAbandoned(owner: { tag: string; pid: number }, mtimeMs: number, inUse: boolean): boolean {
  if (inUse) return false;
  if (owner.tag === ownerTag() && (owner.pid === process.pid || !processAlive(owner.pid))) return true;
  return Date.now() - mtimeMs > FOREIGN_TEMP_STALE_MS;
}

/** Live temporaries are touched now and then, so another namespace's cleanup sees them in use. */
let refresher: NodeJS.Timeout | undefined;
function keepFresh(): void {
  if (refresher) return;
  refresher = setInterval(() => {
    const now = new Date();
    for (const temp of liveTemps) utimes(temp, now, now).catch(() => {});
  }, 60_000);
  refresher.unref();
}

export interface OutputTarget {
  /** The file that will be replaced (a symlink's target), or the device written in place. */
  path: string;
  /** Written in place: a character device, FIFO or socket. */
  inPlace: boolean;
}

/**
 * Where writing `target` goes, checked before any work: its folder exists
 * and is writable, and it is not a folder. A symlink is followed, so the
 * file it points to is replaced and the link stays.
 */
export async function resolveOutputTarget(target: string, what = target): Promise<OutputTarget> {
  if (/[\\/]$/.test(target))
    throw new MlopsError('OUTPUT_IS_FOLDER', `${what} names a folder`, { hint: 'name a file' });
  let resolved = target;
  const link = await lstat(target).catch(() => undefined);
  // A dangling link still names the file to create.
  if (link?.isSymbolicLink())
    resolved = await realpath(target).catch(async () => path.resolve(path.dirname(target), await readlink(target)));
  const info = await stat(resolved).catch(() => undefined);
  if (info?.isDirectory()) throw new MlopsError('OUTPUT_IS_FOLDER', `${what} is a folder`, { hint: 'name a file' });
  if (info && !info.isFile()) return { path: resolved, inPlace: true };
  const dir = path.dirname(resolved);
  const dirInfo = await stat(dir).catch(() => undefined);
  if (!dirInfo)
    throw new MlopsError('OUTPUT_DIR_MISSING', `${what}: folder ${dir} does not exist`, {
      hint: `create it first (mkdir -p ${dir})`,
    });
  if (!dirInfo.isDirectory()) throw new MlopsError('OUTPUT_DIR_MISSING', `${what}: ${dir} is not a folder`);
  // The temporary file is created in this folder, so it must be writable even when the target is.
  const writable = await access(dir, constants.W_OK).then(
    () => true,
    () => false,
  );
  if (!writable)
    throw new MlopsError('OUTPUT_NOT_WRITABLE', `${what}: folder ${dir} is not writable`, {
      hint: 'choose another output path',
    });
  return { path: resolved, inPlace: false };
}

export interface OutputFile {
  handle: FileHandle;
  /** Make the output visible (rename into place). */
  commit(): Promise<void>;
  /** Remove what was written; the target is left as it was. */
  discard(): Promise<void>;
}

/**
 * Open `target` for writing: a temporary file beside it, or the device itself.
 * `resolved`: what resolveOutputTarget (or guardOutputs) already found for it, so it is not resolved again.
 */
export async function openOutput(target: string, resolved?: OutputTarget): Promise<OutputFile> {
  resolved ??= await resolveOutputTarget(target);
  if (resolved.inPlace) {
    const handle = await open(resolved.path, 'w').catch((err: NodeJS.ErrnoException) => {
      // /dev/stdout when stdout is a socket (as under many process managers) cannot be opened by path.
      if (err.code === 'ENXIO')
        throw new MlopsError(
          'OUTPUT_NOT_WRITABLE',
          `cannot open ${target}: it is a socket, which cannot be opened by its path (ENXIO)`,
          {
            hint:
              target.includes('stdout') || target.endsWith('/1')
                ? 'write to stdout with - instead (mlops predict-batch --output -, mlops drift --html -)'
                : 'write to a file instead',
          },
        );
      throw outputWriteError(target, err);
    });
    let closed = false;
    const close = async () => {
      if (!closed) await handle.close();
      closed = true;
    };
    return { handle, commit: close, discard: () => close().catch(() => {}) };
  }
  await removeStaleTemps(resolved.path);
  const temp = tempPathFor(resolved.path);
  let handle: FileHandle;
  try {
    handle = await open(temp, 'wx');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MlopsError(
      'OUTPUT_NOT_WRITABLE',
      `cannot write ${target}: ${code === 'ENOENT' ? `folder ${path.dirname(resolved.path)} does not take new files` : code}`,
      { hint: 'choose another output path' },
    );
  }
  liveTemps.add(temp);
  keepFresh();
  let closed = false;
  const close = async () => {
    if (!closed) await handle.close();
    closed = true;
  };
  const discard = async () => {
    await close().catch(() => {});
    await rm(temp, { force: true });
    liveTemps.delete(temp);
  };
  return {
    handle,
    async commit() {
      try {
        await handle.sync();
        await close();
        await rename(temp, resolved.path);
      } catch (err) {
        await discard();
        throw outputWriteError(target, err);
      }
      liveTemps.delete(temp);
    },
    discard,
  };
}

export interface ReservedOutput {
  /** The temporary file to write (not created yet): for writers that open files by name, such as DuckDB's COPY. */
  temp: string;
  /** A folder name beside it for the writer's scratch files (created by the writer, if at all); owned like the temporary. */
  scratch: string;
  /** fsync the temporary, rename it over the target, remove the scratch folder. */
  commit(): Promise<void>;
  /** Remove the temporary and the scratch folder; the target is left as it was. */
  discard(): Promise<void>;
}

/**
 * openOutput for a writer that creates the file itself: the same temporary
 * name beside the target (cleaned up after a kill, removed on SIGINT), the
 * same rename into place. Devices and pipes cannot be renamed over: refused.
 */
export async function reserveOutput(target: string, resolved?: OutputTarget): Promise<ReservedOutput> {
  resolved ??= await resolveOutputTarget(target);
  if (resolved.inPlace)
    throw new MlopsError(
      'OUTPUT_NOT_WRITABLE',
      `${target} is a device or a pipe: this output is written whole, to a file`,
      {
        hint: 'write to a file',
      },
    );
  const final = resolved.path;
  await removeStaleTemps(final);
  const temp = tempPathFor(final);
  const scratch = tempPathFor(final);
  for (const t of [temp, scratch]) liveTemps.add(t);
  keepFresh();
  const forget = () => {
    liveTemps.delete(temp);
    liveTemps.delete(scratch);
  };
  const discard = async () => {
    await rm(temp, { force: true });
    await rm(scratch, { recursive: true, force: true });
    forget();
  };
  return {
    temp,
    scratch,
    async commit() {
      try {
        await rm(scratch, { recursive: true, force: true });
        const handle = await open(temp, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temp, final);
      } catch (err) {
        await discard();
        throw outputWriteError(target, err);
      }
      forget();
    },
    discard,
  };
}

/** A failed write to an output: a full disk or a closed pipe is the user's to fix (exit 2), not a bug. */
export function outputWriteError(target: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EFBIG: 'the file is too large for this file system',
    EIO: 'an input/output error',
    EPIPE: 'the reader of the pipe went away',
    EROFS: 'the file system is read-only',
  };
  // `--output /dev/stdout | head`: the reader took what it wanted; like any Unix filter, stop quietly.
  if (code === 'EPIPE')
    return new MlopsError('OUTPUT_READER_GONE', `${target}: the reader of the pipe went away`, { cause: err });
  if (code && reasons[code])
    return new MlopsError('OUTPUT_WRITE_FAILED', `cannot write ${target}: ${reasons[code]} (${code})`, {
      hint: 'free space or choose another output path; nothing was written',
      cause: err,
    });
  return err instanceof Error ? err : new Error(String(err));
}

/** On SIGINT/SIGTERM: delete every unfinished temporary file or folder, synchronously (the process is about to exit). */
export function removeLiveTemps(): void {
  for (const temp of liveTemps) {
    try {
      rmSync(temp, { recursive: true, force: true });
    } catch {
      // On the way out, one that cannot be removed must not stop the others; a later writer cleans it.
    }
  }
  liveTemps.clear();
}

/**
 * Have an interrupted run delete a temporary file or folder made elsewhere
 * (the registry's staging entries), as it deletes openOutput's. Returns the
 * function that stops tracking it, once it was renamed into place or removed.
 */
export function trackLiveTemp(temp: string): () => void {
  liveTemps.add(temp);
  return () => {
    liveTemps.delete(temp);
  };
}

/**
 * Write a file so that a crash leaves either the old file or the new one:
 * write to a temporary file beside it, fsync, rename over the target.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const out = await openOutput(target);
  try {
    await out.handle.writeFile(data);
  } catch (err) {
    await out.discard();
    throw outputWriteError(target, err);
  }
  await out.commit();
}
