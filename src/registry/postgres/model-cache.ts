/**
 * The local copy of model bytes a database registry keeps, so onnxruntime has
 * a file to open and a pod that predicts twice downloads once:
 * `<cache>/models/<sha256>.onnx`, where <cache> is MLOPS_CACHE_DIR, else
 * $XDG_CACHE_HOME/mlops, else ~/.cache/mlops. Files are named by their
 * content, written atomically (util/fs-atomic) and checked on every use: a
 * damaged copy is downloaded again, never used.
 *
 * Bytes tampered with in the database after a copy was cached: the copy still
 * hashes to the recorded sha256, so it is the registered bytes and using it is
 * correct (the cache never trusts the database's bytes over the record, only
 * the record). `registry verify` reads the database, not the cache, so it
 * reports the tampering; a machine without the copy is refused
 * (REGISTRY_TAMPERED) when it downloads.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isMlopsError, MlopsError } from '../../util/errors.js';
import { openOutput } from '../../util/fs-atomic.js';
import { errnoReason, TAMPERED_HINT } from '../storage-errors.js';
import type { StoredRecord } from '../store.js';

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MLOPS_CACHE_DIR) return path.resolve(env.MLOPS_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'mlops');
}

export function cachedPath(record: StoredRecord, root = cacheRoot()): string {
  // Histories are checked when read (history-lines.ts); this is the last guard before a path is built.
  if (!/^[0-9a-f]{64}$/.test(record.sha256)) throw new Error(`not a sha256: ${JSON.stringify(record.sha256)}`);
  const ext = /^\.[A-Za-z0-9]{1,16}$/.test(path.extname(record.file)) ? path.extname(record.file) : '.onnx';
  return path.join(root, 'models', `${record.sha256}${ext}`);
}

async function hashOf(file: string): Promise<string | null> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch {
    return null;
  }
  return hash.digest('hex');
}

function cacheError(target: string, err: unknown): MlopsError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = isMlopsError(err) ? err.message : code ? errnoReason(code) : String(err);
  return new MlopsError('REGISTRY_CACHE_UNWRITABLE', `cannot keep a local copy of the model at ${target}: ${why}`, {
    hint: 'point MLOPS_CACHE_DIR at a writable folder with room for the model (in a pod: an emptyDir volume)',
    cause: err,
  });
}

/**
 * The cached file for `record`, checked against its sha256; downloaded from
 * `chunks` when absent or damaged. `where` names the bytes' origin in messages.
 */
export async function ensureCached(
  record: StoredRecord,
  chunks: () => AsyncIterable<Buffer>,
  where: string,
): Promise<string> {
  const target = cachedPath(record);
  const found = await hashOf(target);
  if (found === record.sha256) return target;
  try {
    if (found !== null) await rm(target, { force: true });
    await mkdir(path.dirname(target), { recursive: true });
  } catch (err) {
    throw cacheError(target, err);
  }
  const out = await openOutput(target).catch((err) => {
    throw cacheError(target, err);
  });
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of chunks()) {
      hash.update(chunk);
      size += chunk.length;
      await out.handle.write(chunk);
    }
  } catch (err) {
    await out.discard();
    if (isMlopsError(err) || (err as NodeJS.ErrnoException).syscall === undefined) throw err;
    throw cacheError(target, err);
  }
  const actual = hash.digest('hex');
  if (actual !== record.sha256) {
    await out.discard();
    // Worded as the folder store words a damaged file (registry/queries.ts assertUntampered), the
    // stored bytes named as `verify` names them: only the location differs between stores.
    const stored = `the stored blob ${record.sha256.slice(0, 12)}... in ${where}`;
    throw new MlopsError(
      'REGISTRY_TAMPERED',
      size === 0
        ? `${record.name}@${record.version}: ${stored} is missing`
        : `${record.name}@${record.version}: ${stored} does not match its recorded sha256 (recorded ${record.sha256.slice(0, 12)}..., found ${actual.slice(0, 12)}...)`,
      { hint: TAMPERED_HINT },
    );
  }
  try {
    await out.commit();
    await chmod(target, 0o444);
  } catch (err) {
    throw cacheError(target, err);
  }
  return target;
}
