/**
 * One step of `registry copy`: a register event with its version's bytes and
 * the events up to the next register, written to the target under its lock
 * (one transaction in PostgreSQL), after checking what the target holds now.
 */
import path from 'node:path';
import { relate } from './copy-compare.js';
import { changed, exists, readSource, tampered, unlessDiverged } from './copy-refusals.js';
import { isFile } from './folder-store.js';
import type { RegistryStore } from './store.js';
import type { RegisterEvent, RegistryEvent, VersionRecord } from './types.js';
import { MlopsError } from '../util/errors.js';

export interface CopyContext {
  source: RegistryStore;
  target: RegistryStore;
  dryRun: boolean;
  /** The target does not exist yet (dry run): read as empty. */
  targetEmpty: boolean;
}

/** What one step did: how many events the target now shares with the source, how many this run appended. */
export interface SegmentCopied {
  shared: number;
  appended: number;
  /** This run stored the version's bytes (not another copy running at the same time). */
  stored: boolean;
}

/**
 * events[start, end) into the target under its lock: a register event with its
 * version's bytes, then the events up to the next register.
 */
export async function copySegment(
  ctx: CopyContext,
  name: string,
  events: RegistryEvent[],
  start: number,
  end: number,
  known: number,
  register: RegisterEvent | undefined,
): Promise<SegmentCopied> {
  const { source, target } = ctx;
  const staged = register ? await stageVersion(source, target, register) : undefined;
  let committed = false;
  try {
    return await target.withLock(async () => {
      // Another writer may have moved while we staged: what it added must be the source's events too.
      const have = await target.readHistory(name);
      const relation = unlessDiverged(relate(events, have, known), events, have, ctx, name);
      if (relation.present >= end || relation.kind === 'ahead')
        return { shared: relation.present, appended: 0, stored: false };
      if (relation.present < start) throw changed(target, name);
      const from = relation.present;
      if (register && staged && from === start) {
        await setAsideLeftover(target, register.record);
        await target.commitVersion(staged, register.record);
        committed = true;
        try {
          await appendAsRecorded(target, name, events.slice(from, end));
        } catch (err) {
          // No event, no version: take the stored copy back out while we hold the lock.
          await target.uncommitVersion(name, register.version).catch(() => {});
          throw err;
        }
        await target.settleVersion(name, register.version);
      } else {
        await appendAsRecorded(target, name, events.slice(from, end));
      }
      return { shared: end, appended: end - from, stored: committed };
    }, staged);
  } finally {
    if (staged && !committed) await target.discard(staged);
  }
}

/** The version's bytes from the source, staged into the target and checked against the record on the way. */
async function stageVersion(source: RegistryStore, target: RegistryStore, event: RegisterEvent) {
  const { record } = event;
  const local = await readSource(source, record.name, () => source.materialize(record));
  // A database source checked the bytes while downloading them; a folder's file is hashed by stage below.
  if (!local.verified && !(await isFile(local.path)))
    throw tampered(source, event, `its stored file ${local.path} is missing`);
  const staged = await target.stage(local.path);
  if (staged.sha256 !== record.sha256 || staged.sizeBytes !== record.size_bytes) {
    await target.discard(staged);
    throw tampered(
      source,
      event,
      `its stored bytes do not match the recorded sha256 (found ${staged.sha256.slice(0, 12)}...)`,
    );
  }
  return staged;
}

/**
 * Events keep their seq: the store numbers from its last event, which is the
 * source's previous one (the target's history was just checked to be the
 * source's first `from` events, and the source's seqs run 1, 2, 3...).
 */
async function appendAsRecorded(target: RegistryStore, name: string, events: RegistryEvent[]): Promise<void> {
  if (events.length) await target.append(name, events);
}

/** A folder left by a killed register or copy of this very version (pending) is set aside; a complete one refuses. */
async function setAsideLeftover(target: RegistryStore, record: VersionRecord): Promise<void> {
  const { name, version } = record;
  // Listing every version folder costs a few syscalls per version: only when this one's folder exists.
  if (!(await exists(path.dirname(target.filePath(record))))) return;
  const folder = (await target.storedVersions(name)).find((f) => f.version === version);
  if (!folder) return;
  if (folder.pending) await target.setAside(name, version);
  else
    throw new MlopsError(
      'REGISTRY_CHANGED',
      `${folder.path} already holds a version ${version} of "${name}" that its history does not record`,
      { hint: 'run mlops registry verify on the target; move that folder away if it is not needed, then copy again' },
    );
}
