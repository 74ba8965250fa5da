/**
 * What the file system says about the registry folder, in words a user can
 * act on. A read-only, full or forbidden volume is the user's to fix (exit 2,
 * naming the path), not a bug with a stack trace.
 */
import { MlopsError } from '../util/errors.js';

/** The remedy for stored bytes that no longer match their recorded sha256: the same on every store. */
export const TAMPERED_HINT =
  'the registry was modified outside mlops; run mlops registry verify, and restore it from a backup (mlops registry copy)';

const REASONS: Record<string, string> = {
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'the file is too large for this file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EIO: 'an input/output error',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  ESTALE: 'stale file handle (the shared volume changed under us)',
};

const FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
const FORBIDDEN = new Set(['EROFS', 'EACCES', 'EPERM']);

/** An errno code in words: "a part of the path is not a folder (ENOTDIR)"; the bare code when unknown. */
export function errnoReason(code: string): string {
  return REASONS[code] ? `${REASONS[code]} (${code})` : code;
}

/**
 * An errno error from reading or writing `target` (the error's own path when
 * it names one) as an MlopsError; anything else is returned unchanged.
 */
export function storageError(err: unknown, access: 'read' | 'write', target: string, root: string): unknown {
  if (err instanceof MlopsError) return err;
  const e = err as NodeJS.ErrnoException;
  const reason = e?.code ? REASONS[e.code] : undefined;
  if (!reason) return err;
  const where = e.path ?? target;
  const hint = FULL.has(e.code!)
    ? `free space on the volume of ${root}; the registry was not changed`
    : FORBIDDEN.has(e.code!) && access === 'write'
      ? `writing needs a writable registry: fix the permissions of ${root}, or point \`registry\` (or MLOPS_REGISTRY) elsewhere; the registry was not changed`
      : `check ${root} (\`registry\` or MLOPS_REGISTRY)`;
  return new MlopsError(
    access === 'write' ? 'REGISTRY_NOT_WRITABLE' : 'REGISTRY_UNREADABLE',
    `cannot ${access} ${where}: ${reason} (${e.code})`,
    { hint, cause: err },
  );
}

/** Run one storage step; its errno errors become storageError's messages. */
export async function storageStep<T>(
  access: 'read' | 'write',
  target: string,
  root: string,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw storageError(err, access, target, root);
  }
}
