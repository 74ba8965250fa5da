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
import { isMlopsError } from '../util/errors.js';
import { openStore } from './context.js';
import { relate } from './copy-compare.js';
import {
  asSourceError,
  asTargetError,
  DivergedError,
  exists,
  readSource,
  refuseSameRegistry,
  unlessDiverged,
} from './copy-refusals.js';
import { type CopyContext, copySegment } from './copy-segment.js';
import { FolderStore } from './folder-store.js';
import { MlopsError } from '../util/errors.js';
import { validateName } from './names.js';
import { checkRegistryFolder, createRegistryFolder } from './registry-folder.js';
import type { RegistryStore } from './store.js';
import type { RegisterEvent, RegistryEvent } from './types.js';

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
  // A folder target is created when missing; a dry run reads a missing one as empty.
  const targetMissing = target instanceof FolderStore && !(await exists(target.root));
  if (target instanceof FolderStore && !(dryRun && targetMissing)) {
    const root = target.root;
    await (dryRun ? checkRegistryFolder(root) : createRegistryFolder(root)).catch((err) => {
      throw asTargetError(err);
    });
  }
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
  const related = relate(events, have);
  // A refused model still says how much of it the two sides share.
  done.events_present = related.kind === 'diverged' ? related.at : related.present;
  done.versions_present = events.slice(0, done.events_present).filter((e) => e.type === 'register').length;
  const relation = unlessDiverged(related, events, have, ctx, name);
  if (relation.kind === 'ahead') {
    done.status = 'target_ahead';
    return done;
  }
  let known = relation.present;
  for (const [start, end] of segments(events, relation.present)) {
    const register = events[start].type === 'register' ? (events[start] as RegisterEvent) : undefined;
    // A dry run counts what a copy would do; a copy counts what it did (another copy may have done some).
    const step = ctx.dryRun
      ? { shared: end, appended: end - start, stored: Boolean(register) }
      : await copySegment(ctx, name, events, start, end, known, register);
    known = step.shared;
    done.events_copied += step.appended;
    if (register && step.stored) {
      done.versions_copied += 1;
      done.bytes_copied += register.record.size_bytes;
    }
    if (step.appended) done.status = 'copied';
  }
  return done;
}

async function copyPolicies(ctx: CopyContext): Promise<PolicyCopy> {
  const { source, target } = ctx;
  const events = await readSource(source, null, () => source.readPolicyHistory());
  const have = ctx.targetEmpty ? [] : await target.readPolicyHistory();
  const relation = unlessDiverged(relate(events, have), events, have, ctx, null);
  const result: PolicyCopy = {
    status: relation.kind === 'ahead' ? 'target_ahead' : 'up_to_date',
    events_copied: 0,
    events_present: relation.present,
  };
  if (relation.kind === 'ahead' || relation.present === events.length) return result;
  const appended = ctx.dryRun
    ? events.length - relation.present
    : await target.withLock(async () => {
        const now = await target.readPolicyHistory();
        const again = unlessDiverged(relate(events, now, relation.present), events, now, ctx, null);
        if (again.kind === 'ahead' || again.present === events.length) return 0;
        const missing = events.slice(again.present);
        // Numbered from the target's last change, which is the source's previous one: seqs stay as recorded.
        await target.appendPolicy(missing);
        return missing.length;
      });
  if (appended) Object.assign(result, { status: 'copied', events_copied: appended });
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
