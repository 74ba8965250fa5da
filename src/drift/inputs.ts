/**
 * Drift's two input files. Drift reads each file more than once (header,
 * type sample, columns), so a pipe or a device (`--current <(zcat x.gz)`,
 * /dev/stdin) is read once into a temporary copy, CSV or Parquet; messages
 * still name what the user passed, never the copy.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { describeBinary } from '../table/binary-sniff.js';
import { MlopsError, isMlopsError } from '../util/errors.js';
import { removeAbandoned, trackLiveTemp } from '../util/fs-atomic.js';
import { ownerTag } from '../util/process-owner.js';

const STDIN_PATHS = new Set(['/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);

export interface DriftInput {
  /** What the user passed, for messages and the report. */
  label: string;
  /** What to read: the file itself, or the copy of a pipe. */
  path: string;
}

export interface DriftInputs {
  reference: DriftInput;
  current: DriftInput;
  /** The same error with copies' paths replaced by what the user passed. */
  relabel(err: unknown): unknown;
  /** A message (a warning) with copies' paths replaced by what the user passed. */
  relabelText(text: string): string;
  cleanup(): Promise<void>;
}

export async function openInputs(reference: string, current: string): Promise<DriftInputs> {
  let spoolDir: string | undefined;
  let untrack: (() => void) | undefined;
  const open = async (file: string, role: 'reference' | 'current'): Promise<DriftInput> => {
    const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' || err.code === 'ENOTDIR' ? 'does not exist' : `cannot be read (${err.code})`;
      throw new MlopsError('CSV_NOT_FOUND', `${role} file ${file} ${why}`, {
        hint: 'check the paths of the reference and current data',
      });
    });
    if (info.isDirectory())
      throw new MlopsError('CSV_NOT_FOUND', `${role} file ${file} is a folder`, {
        hint: 'pass one CSV file for the reference and one for the current data',
      });
    if (info.isFile()) return { label: file, path: file };
    if (!spoolDir) {
      // Copies of pipes that a killed drift run (SIGKILL) left in the temp folder.
      await removeAbandoned(os.tmpdir(), /^mlops-drift-([0-9a-f]{8})-(\d+)-/);
      // Named by owner, so a later run can tell a killed run's copy from a live one; Ctrl-C removes it.
      spoolDir = await mkdtemp(path.join(os.tmpdir(), `mlops-drift-${ownerTag()}-${process.pid}-`));
      untrack = trackLiveTemp(spoolDir);
    }
    const copy = path.join(spoolDir, `${role}.csv`);
    try {
      // Opening /dev/stdin fails (ENXIO) when stdin is a socket, as under many process managers: read fd 0 itself.
      let first = true;
      // A device of zeros (/dev/zero) or a binary stream would otherwise be copied until the disk is full.
      const textOnly = new Transform({
        transform(chunk: Buffer, _enc, done) {
          // Parquet is binary but a table: the copy is a seekable file, which is all its reader needs.
          const parquet = first && chunk.subarray(0, 4).toString('latin1') === 'PAR1';
          const binary = first && !parquet ? describeBinary(chunk) : undefined;
          first = false;
          done(
            binary
              ? new MlopsError('CSV_NOT_TEXT', `${role} data ${file} is not CSV: it holds ${binary}`, {
                  hint: 'pass a comma-separated text file or stream',
                })
              : null,
            chunk,
          );
        },
      });
      await pipeline(STDIN_PATHS.has(file) ? process.stdin : createReadStream(file), textOnly, createWriteStream(copy));
    } catch (err) {
      if (err instanceof MlopsError) throw err;
      throw new MlopsError('CSV_UNREADABLE', `cannot read ${role} data from ${file}: ${(err as Error).message}`);
    }
    return { label: file, path: copy };
  };
  const cleanup = async () => {
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
    untrack?.();
  };
  try {
    const ref = await open(reference, 'reference');
    const cur = await open(current, 'current');
    const copies = [ref, cur].filter((i) => i.path !== i.label);
    const swap = (text: string) => copies.reduce((t, i) => t.split(i.path).join(i.label), text);
    const relabel = (err: unknown) => {
      if (!isMlopsError(err) || copies.length === 0) return err;
      return new MlopsError(err.code, swap(err.message), { hint: err.hint && swap(err.hint), cause: err.cause });
    };
    return { reference: ref, current: cur, relabel, relabelText: swap, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
