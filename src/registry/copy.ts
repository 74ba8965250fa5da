/**
 * `mlops registry copy`: a whole registry, with its full history, from one
 * store to another (folder or PostgreSQL, either way): backup and restore.
 *
 * Events keep everything the source recorded (seq, at, actor, record...), so a
 * copy's `history` reads like the original's. Each version lands with its
 * register event in one `withLock` (one transaction in PostgreSQL): a copy
 * killed half-way leaves a shorter but consistent history, which the next run
 * extends. A model whose target history is not a prefix of the source's (nor
 * already longer) is refused; the other models are still copied, so one
 * conflict does not leave the rest of a backup stale, and the result lists the
 * refused ones for the CLI to fail on (exit 2).
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { isMlopsError, MlopsError } from '../util/errors.js';
import { isHistoryDamaged } from './history-lines.js';
import { openStore } from './context.js';
import { type Relation, describeEvent, firstSeqGap, relate } from './copy-compare.js';
import { FolderStore, isFile } from './folder-store.js';
import { validateName } from './names.js';
import { PostgresStore } from './postgres/pg-store.js';
import { createRegistryFolder } from './registry-folder.js';
import type { RegistryStore } from './store.js';
import type { PolicyEvent, RegisterEvent, RegistryEvent, VersionRecord } from './types.js';

export interface CopyOptions {
  /** Registry folder or postgres:// URL to copy from. */
  from: string;
  /** Registry folder or postgres:// URL to copy into (a folder is created when missing). */
  to: string;
  /** Only these models (the alias policies, registry-wide, are always copied). */
  names?: string[];
  /** Say what would be copied, change nothing. */
  dryRun?: boolean;
  cwd?: string;
}

export type CopyStatus = 'copied' | 'up_to_date' | 'target_ahead' | 'refused';

export interface ModelCopy {
  name: string;
  status: CopyStatus;
  /** Copied by this run (with `dryRun`: would be). */
  events_copied: number;
  versions_copied: number;
  bytes_copied: number;
  /** Already in the target before this run. */
  events_present: number;
  versions_present: number;
}

export interface PolicyCopy {
  status: CopyStatus;
  events_copied: number;
  events_present: number;
}

export interface CopyRefusal {
  /** The model, or null for the alias policies. */
  name: string | null;
  code: 'REGISTRY_COPY_DIVERGED' | 'REGISTRY_CORRUPT' | 'REGISTRY_TAMPERED' | 'REGISTRY_CHANGED';
  message: string;
  hint: string;
  /** Where the histories split (REGISTRY_COPY_DIVERGED). */
  seq?: number;
}

export interface CopyResult {
  from: string;
  to: string;
  dry_run: boolean;
  models: ModelCopy[];
  policies: PolicyCopy;
  copied: { models: number; events: number; versions: number; bytes: number };
  refused: CopyRefusal[];
}

/** Per-model problems: reported, and the copy goes on with the next model. */
const PER_MODEL = new Set<string>([
  'REGISTRY_COPY_DIVERGED',
  'REGISTRY_CORRUPT',
  'REGISTRY_TAMPERED',
  'REGISTRY_CHANGED',
]);

export async function copyRegistry(options: CopyOptions): Promise<CopyResult> {
  const source = openStore({ registry: options.from, cwd: options.cwd });
  const target = openStore({ registry: options.to, cwd: options.cwd });
  await refuseSameRegistry(source, target);
  const dryRun = Boolean(options.dryRun);
  const names = await modelsToCopy(source, options.names);
  // A folder target is created on the first write; a dry run reads a missing one as empty.
  const targetMissing = target instanceof FolderStore && !(await exists(target.root));
  if (targetMissing && !dryRun) await createRegistryFolder(target.root);
  const ctx: CopyContext = { source, target, dryRun, targetEmpty: targetMissing && dryRun };

  const refused: CopyRefusal[] = [];
  const policies = await refuseOrRun(refused, null, () => copyPolicies(ctx), {
    status: 'refused',
    events_copied: 0,
    events_present: 0,
  });
  const models: ModelCopy[] = [];
  for (const name of names) {
    const done: ModelCopy = {
      name,
      status: 'up_to_date',
      events_copied: 0,
      versions_copied: 0,
      bytes_copied: 0,
      events_present: 0,
      versions_present: 0,
    };
    models.push(await refuseOrRun(refused, name, () => copyModel(ctx, name, done), done));
  }
  return {
    from: source.location,
    to: target.location,
    dry_run: dryRun,
    models,
    policies,
    copied: {
      models: models.filter((m) => m.events_copied > 0).length,
      events: models.reduce((n, m) => n + m.events_copied, 0),
      versions: models.reduce((n, m) => n + m.versions_copied, 0),
      bytes: models.reduce((n, m) => n + m.bytes_copied, 0),
    },
    refused,
  };
}

/** The models named (each must be in the source), else every model the source lists. */
async function modelsToCopy(source: RegistryStore, names: string[] | undefined): Promise<string[]> {
  const listed = await source.listModels().catch((err) => {
    throw asSourceError(err);
  });
  if (!names?.length) {
    // Most likely a wrong path (`.` for `.mlops`): an empty source would "succeed" copying nothing.
    if (!listed.length && !(await readSource(source, null, () => source.readPolicyHistory())).length)
      throw new MlopsError(
        'REGISTRY_EMPTY',
        `\`from\`: ${source.location} holds no registered models: there is nothing to copy`,
        {
          hint: 'name the registry folder itself (the one holding models/, ./.mlops by default) or its postgres:// URL',
        },
      );
    return listed;
  }
  const wanted = [...new Set(names.map((n) => validateName(n)))];
  const missing = wanted.filter((n) => !listed.includes(n));
  if (missing.length)
    throw new MlopsError(
      'REGISTRY_MODEL_NOT_FOUND',
      `${missing.map((n) => `"${n}"`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in the registry at ${source.location}; nothing was copied`,
      {
        hint: listed.length
          ? `its models: ${listed.slice(0, 10).join(', ')}${listed.length > 10 ? ', ...' : ''}`
          : 'it holds no models',
      },
    );
  return wanted;
}

interface CopyContext {
  source: RegistryStore;
  target: RegistryStore;
  dryRun: boolean;
  /** The target does not exist yet (dry run): read as empty. */
  targetEmpty: boolean;
}

async function refuseOrRun<T extends { status: CopyStatus }>(
  refused: CopyRefusal[],
  name: string | null,
  run: () => Promise<T>,
  partial: T,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!isMlopsError(err) || !PER_MODEL.has(err.code)) throw err;
    refused.push({
      name,
      code: err.code as CopyRefusal['code'],
      message: err.message,
      hint: err.hint ?? '',
      ...(err instanceof DivergedError ? { seq: err.seq } : {}),
    });
    partial.status = 'refused';
    return partial;
  }
}

async function copyModel(ctx: CopyContext, name: string, done: ModelCopy): Promise<ModelCopy> {
  const { source, target } = ctx;
  const events = await readSource(source, name, () => source.readHistory(name));
  const have = ctx.targetEmpty ? [] : await target.readHistory(name);
  const relation = check(relate(events, have), events, have, ctx, name);
  done.events_present = relation.present;
  done.versions_present = events.slice(0, relation.present).filter((e) => e.type === 'register').length;
  if (relation.kind === 'ahead') {
    done.status = 'target_ahead';
    return done;
  }
  let known = relation.present;
  for (const [start, end] of segments(events, relation.present)) {
    const register = events[start].type === 'register' ? (events[start] as RegisterEvent) : undefined;
    if (!ctx.dryRun) known = await copySegment(ctx, name, events, start, end, known, register);
    done.events_copied += end - start;
    if (register) {
      done.versions_copied += 1;
      done.bytes_copied += register.record.size_bytes;
    }
    done.status = 'copied';
  }
  return done;
}

/**
 * events[start, end) into the target under its lock: a register event with its
 * version's bytes, then the events up to the next register. Returns how many
 * events the target now shares with the source.
 */
async function copySegment(
  ctx: CopyContext,
  name: string,
  events: RegistryEvent[],
  start: number,
  end: number,
  known: number,
  register: RegisterEvent | undefined,
): Promise<number> {
  const { source, target } = ctx;
  const staged = register ? await stageVersion(source, target, register) : undefined;
  let committed = false;
  try {
    return await target.withLock(async () => {
      // Another writer may have moved while we staged: what it added must be the source's events too.
      const have = await target.readHistory(name);
      const relation = check(relate(events, have, known), events, have, ctx, name);
      if (relation.present >= end || relation.kind === 'ahead') return relation.present;
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
      return end;
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

/** Events keep their seq (the store numbers from its last one, which is the source's previous event). */
async function appendAsRecorded(target: RegistryStore, name: string, events: RegistryEvent[]): Promise<void> {
  if (events.length === 0) return;
  const numbered = await target.append(name, events);
  if (numbered.some((e, i) => e.seq !== events[i].seq)) throw changed(target, name);
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

async function copyPolicies(ctx: CopyContext): Promise<PolicyCopy> {
  const { source, target } = ctx;
  const events = await readSource(source, null, () => source.readPolicyHistory());
  const have = ctx.targetEmpty ? [] : await target.readPolicyHistory();
  const relation = check(relate(events, have), events, have, ctx, null);
  const result: PolicyCopy = {
    status: relation.kind === 'ahead' ? 'target_ahead' : 'up_to_date',
    events_copied: 0,
    events_present: relation.present,
  };
  if (relation.kind === 'ahead' || relation.present === events.length) return result;
  result.status = 'copied';
  result.events_copied = events.length - relation.present;
  if (ctx.dryRun) return result;
  await target.withLock(async () => {
    const now = await target.readPolicyHistory();
    const again = check(relate(events, now, relation.present), events, now, ctx, null);
    if (again.kind === 'ahead' || again.present === events.length) return;
    const missing = events.slice(again.present);
    const numbered = await target.appendPolicy(missing);
    if (numbered.some((e, i) => e.seq !== missing[i].seq)) throw changed(target, null);
  });
  return result;
}

/** [start, end) runs of the events from `from`: each starts at a register event (or at `from`). */
function segments(events: RegistryEvent[], from: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (let i = from; i < events.length; i++) {
    if (i === from || events[i].type === 'register') runs.push([i, i + 1]);
    else runs[runs.length - 1][1] = i + 1;
  }
  return runs;
}

/** The relation, unless the histories split: then the model (or the policies) is refused. */
function check<E extends RegistryEvent | PolicyEvent>(
  relation: Relation,
  events: E[],
  have: E[],
  ctx: CopyContext,
  name: string | null,
): Exclude<Relation, { kind: 'diverged' }> {
  if (relation.kind !== 'diverged') return relation;
  const seq = relation.at + 1;
  const what = name === null ? 'the alias policies differ' : `model "${name}" differs`;
  return fail(
    new DivergedError(
      `${what} between the registries from event ${seq}: ${ctx.source.location} has ${describeEvent(events[relation.at])}, ${ctx.target.location} has ${describeEvent(have[relation.at])}; ${name === null ? 'they were' : 'it was'} not copied`,
      name === null
        ? 'compare them with mlops registry policy on each side; the target keeps its own policy history'
        : `compare mlops registry history ${name} on each side; to keep both, copy into a registry without "${name}" (a new folder or database)`,
      seq,
    ),
  );
}

class DivergedError extends MlopsError {
  constructor(
    message: string,
    hint: string,
    readonly seq: number,
  ) {
    super('REGISTRY_COPY_DIVERGED', message, { hint });
  }
}

function fail(err: Error): never {
  throw err;
}

async function readSource<T>(source: RegistryStore, name: string | null, read: () => Promise<T>): Promise<T> {
  try {
    const value = await read();
    if (Array.isArray(value)) {
      const gap = firstSeqGap(value);
      if (gap !== null)
        throw new MlopsError(
          'REGISTRY_CORRUPT',
          `${name === null ? 'the alias policy history' : `the history of "${name}"`} in ${source.location} skips from seq ${gap} to ${value[gap].seq}, so it cannot be copied as it is`,
          { hint: 'restore that history from a backup; mlops registry verify shows what else is wrong' },
        );
    }
    return value;
  } catch (err) {
    throw asSourceError(err);
  }
}

/** A damaged history is refused for its model (REGISTRY_CORRUPT); a missing source registry names `from`. */
function asSourceError(err: unknown): unknown {
  if (isHistoryDamaged(err)) return err;
  if (isMlopsError(err) && err.code === 'REGISTRY_NOT_FOUND')
    return new MlopsError(err.code, `\`from\`: ${err.message}`, {
      hint: 'copy from an existing registry folder or a postgres:// URL',
    });
  return err;
}

function tampered(source: RegistryStore, event: RegisterEvent, why: string): MlopsError {
  return new MlopsError(
    'REGISTRY_TAMPERED',
    `${event.record.name}@${event.version} in ${source.location}: ${why}; the model was copied up to the event before its registration`,
    { hint: 'run mlops registry verify on the source and restore the file from a backup, then copy again' },
  );
}

function changed(target: RegistryStore, name: string | null): MlopsError {
  return new MlopsError(
    'REGISTRY_CHANGED',
    `${name === null ? 'the alias policy history' : `the history of "${name}"`} in ${target.location} changed in a way a copy cannot follow`,
    { hint: 'run the copy again' },
  );
}

/** The same registry on both sides would copy nothing; saying so beats a silent no-op. */
async function refuseSameRegistry(source: RegistryStore, target: RegistryStore): Promise<void> {
  let same = false;
  if (source instanceof FolderStore && target instanceof FolderStore) {
    same = (await canonicalPath(source.root)) === (await canonicalPath(target.root));
  } else if (source instanceof PostgresStore && target instanceof PostgresStore) {
    const a = source.settings;
    const b = target.settings;
    same =
      a.host.toLowerCase() === b.host.toLowerCase() &&
      a.port === b.port &&
      a.database === b.database &&
      (a.options ?? '') === (b.options ?? '');
  }
  if (same)
    throw new MlopsError('REGISTRY_COPY_SAME', `\`from\` and \`to\` are the same registry (${target.location})`, {
      hint: 'copy into another folder or database',
    });
}

async function canonicalPath(p: string): Promise<string> {
  return realpath(p).catch(() => path.resolve(p));
}

async function exists(p: string): Promise<boolean> {
  return realpath(p).then(
    () => true,
    () => false,
  );
}
