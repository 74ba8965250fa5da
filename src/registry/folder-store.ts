/**
 * The registry on a folder (`.mlops/` by default):
 *
 *   lock                                  held while writing (see util/file-lock.ts)
 *   staging/<owner>~<rand>/model.onnx     files being registered (see staging.ts)
 *   models/<name>/history.jsonl           append-only events: the source of truth
 *   models/<name>/versions/<n>/model.onnx immutable stored file (read-only)
 *   models/<name>/versions/<n>/version.json the version's record, for people and tools
 *   models/<name>/versions/<n>/.register-pending  present from the rename until the
 *                                         register event is appended (see below)
 *   models/<name>/orphans/<n>-<time>/     folders of interrupted registers, set aside
 *   policies.jsonl                        append-only alias policy changes (gates), registry-wide
 *
 * A version becomes visible only when its register event is appended, after
 * its folder was renamed into place, so a killed `register` leaves either no
 * version or a complete one. An interrupted append leaves a torn last line,
 * which readers ignore and the next writer cuts off (see history-lines.ts).
 *
 * A version folder is never deleted or replaced: a new version is numbered
 * above every registered version and every folder present. A folder without
 * a register event that still holds `.register-pending` was left by a register
 * killed between rename and append: the next register of the model moves it
 * to orphans/ (under the lock, so its writer is gone or has lost the lock).
 * One without the marker is a complete version whose event is missing (a
 * history restored from an older backup): verify fails on it, nothing moves it.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type Dirent } from 'node:fs';
import { access, chmod, mkdir, open, readdir, readFile, rename, rm, stat, truncate, unlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { MlopsError } from '../util/errors.js';
import { withFileLock, type HeldLock } from '../util/file-lock.js';
import { trackLiveTemp } from '../util/fs-atomic.js';
import { startHeartbeat } from '../util/process-owner.js';
import { failpoint, injectedError } from '../util/failpoint.js';
import { registryLocation } from './location.js';
import { parseHistory, type HistoryKind } from './history-lines.js';
import { checkRegistryFolder, createRegistryFolder } from './registry-folder.js';
import { storageError, storageStep } from './storage-errors.js';
import { newStagingId, removeAbandonedStaging, STAGING_HEARTBEAT_MS } from './staging.js';
import type { RegistryStore, StagedFile, StoredFolder, StoredRecord } from './store.js';
import { sha256File } from '../util/hash.js';
import { followHistories } from './follow-histories.js';
import type { NewEvent, NewPolicyEvent, PolicyEvent, RegistryEvent, VersionRecord } from './types.js';

const STORED_FILE = 'model.onnx';
/** In a version folder from its rename until its register event is appended. */
const PENDING_MARKER = '.register-pending';

export class FolderStore implements RegistryStore {
  /** Staging entries of this process not yet committed or discarded: how to stop tracking each. */
  private readonly inFlight = new Map<string, () => void>();
  /** Checked once per store: the registry folder exists (only register creates it). */
  private rootChecked: Promise<void> | undefined;
  /** The registry lock while this store holds it: checked before every irreversible step. */
  private held: HeldLock | undefined;

  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  private modelDir(name: string): string {
    return path.join(this.root, 'models', name);
  }

  private historyPath(name: string): string {
    return path.join(this.modelDir(name), 'history.jsonl');
  }

  private versionDir(name: string, version: number): string {
    return path.join(this.modelDir(name), 'versions', String(version));
  }

  private stagingDir(id?: string): string {
    return id === undefined ? path.join(this.root, 'staging') : path.join(this.root, 'staging', id);
  }

  filePath(record: StoredRecord): string {
    return path.join(this.versionDir(record.name, record.version), record.file || STORED_FILE);
  }

  /** The stored file is already on this machine: the caller hashes what it reads. */
  async materialize(record: StoredRecord): Promise<{ path: string; verified: boolean }> {
    return { path: this.filePath(record), verified: false };
  }

  async storedSha256(record: StoredRecord): Promise<{ where: string; sha256: string | null }> {
    const where = this.filePath(record);
    return { where, sha256: await sha256File(where).catch(() => null) };
  }

  watchChanges(
    onChange: (names: string[] | null) => void,
    signal: AbortSignal,
    onError?: (err: unknown) => void,
  ): Promise<void> {
    return followHistories(this.root, onChange, signal, onError);
  }

  private requireRoot(): Promise<void> {
    this.rootChecked ??= checkRegistryFolder(this.root);
    return this.rootChecked;
  }

  /** A read or write step on the registry; errno errors become messages naming the path (exit 2). */
  private step<T>(access: 'read' | 'write', target: string, fn: () => Promise<T>): Promise<T> {
    return storageStep(access, target, this.root, fn);
  }

  /** Entries of a folder of the registry; [] when it does not exist yet. */
  private async entries(dir: string): Promise<Dirent[]> {
    await this.requireRoot();
    return this.step('read', dir, () =>
      readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw err;
      }),
    );
  }

  async listModels(): Promise<string[]> {
    return (await this.entries(path.join(this.root, 'models')))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  }

  readHistory(name: string): Promise<RegistryEvent[]> {
    return this.readEvents<RegistryEvent>(this.historyPath(name), 'model');
  }

  readPolicyHistory(): Promise<PolicyEvent[]> {
    return this.readEvents<PolicyEvent>(path.join(this.root, 'policies.jsonl'), 'policies');
  }

  appendPolicy(events: NewPolicyEvent[]): Promise<PolicyEvent[]> {
    return this.appendEvents<PolicyEvent>(path.join(this.root, 'policies.jsonl'), events, 'policies');
  }

  /** Model histories and the policy history are the same kind of file: one JSON event per line (see history-lines.ts). */
  private async readEvents<T>(file: string, kind: HistoryKind): Promise<T[]> {
    await this.requireRoot();
    const text = await this.step('read', file, () =>
      readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return '';
        throw err;
      }),
    );
    return parseHistory(text, file, kind).events as T[];
  }

  /** `staged` is already in staging/: committing it is a rename under the lock. */
  async withLock<T>(fn: () => Promise<T>, _staged?: StagedFile): Promise<T> {
    await this.requireRoot();
    const lock = path.join(this.root, 'lock');
    let holding = false;
    try {
      return await withFileLock(lock, async (held) => {
        holding = true;
        this.held = held;
        try {
          // Every writer, not only register, clears what killed registers left in staging.
          await this.cleanStaging();
          return await fn();
        } finally {
          this.held = undefined;
        }
      });
    } catch (err) {
      // Only taking the lock is this step; what fn throws is already worded.
      throw holding ? err : storageError(err, 'write', lock, this.root);
    }
  }

  async stage(sourcePath: string): Promise<StagedFile> {
    await createRegistryFolder(this.root);
    this.rootChecked = undefined;
    await this.cleanStaging();
    const id = newStagingId();
    const dir = this.stagingDir(id);
    // Until it is committed or discarded: Ctrl-C or SIGTERM removes it (cli.ts), and
    // its mtime is refreshed so writers in other pid namespaces see it is in flight.
    const untrack = trackLiveTemp(dir);
    const stopHeartbeat = startHeartbeat(dir, STAGING_HEARTBEAT_MS);
    this.inFlight.set(id, () => {
      untrack();
      stopHeartbeat();
      this.inFlight.delete(id);
    });
    const target = path.join(dir, STORED_FILE);
    const hash = createHash('sha256');
    let size = 0;
    try {
      await mkdir(dir, { recursive: true });
      await pipeline(
        createReadStream(sourcePath),
        new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            size += chunk.length;
            done(injectedError('stage-write'), chunk);
          },
        }),
        createWriteStream(target, { flags: 'wx' }),
      );
      const handle = await open(target, 'r');
      await handle.sync();
      await handle.close();
      await chmod(target, 0o444);
      await failpoint('after-stage');
    } catch (err) {
      // A failed copy (a full disk) must not leave a partial file of the model's size behind.
      await this.discard({ id, sha256: '', sizeBytes: 0 });
      throw storageError(err, (err as NodeJS.ErrnoException).path === sourcePath ? 'read' : 'write', target, this.root);
    }
    return { id, sha256: hash.digest('hex'), sizeBytes: size };
  }

  async discard(staged: StagedFile): Promise<void> {
    this.inFlight.get(staged.id)?.();
    // Best effort: failing to clean up must not hide the error that made us discard.
    await rm(this.stagingDir(staged.id), { recursive: true, force: true }).catch(() => {});
  }

  /** Cleanup never fails a command: what cannot be removed now, a later writer removes. */
  private async cleanStaging(): Promise<void> {
    await removeAbandonedStaging(this.stagingDir()).catch(() => {});
  }

  async storedVersions(name: string): Promise<StoredFolder[]> {
    const numbers = (await this.entries(path.join(this.modelDir(name), 'versions')))
      .map((e) => e.name)
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .sort((a, b) => a - b);
    const exists = (file: string) =>
      access(file).then(
        () => true,
        () => false,
      );
    return Promise.all(
      numbers.map(async (version) => {
        const dir = this.versionDir(name, version);
        const [pending, model, record] = await Promise.all([
          exists(path.join(dir, PENDING_MARKER)),
          exists(path.join(dir, STORED_FILE)),
          exists(path.join(dir, 'version.json')),
        ]);
        return { version, path: dir, pending, complete: model && record };
      }),
    );
  }

  async orphans(name: string): Promise<string[]> {
    const dir = path.join(this.modelDir(name), 'orphans');
    return (await this.entries(dir)).map((e) => path.join(dir, e.name)).sort();
  }

  async setAside(name: string, version: number): Promise<string> {
    const from = this.versionDir(name, version);
    const to = path.join(
      this.modelDir(name),
      'orphans',
      `${version}-${new Date().toISOString().replace(/[:.]/g, '-')}`,
    );
    await this.step('write', to, async () => {
      await this.held?.assertHeld(`moving ${from} aside`);
      await mkdir(path.dirname(to), { recursive: true });
      await rename(from, to);
    });
    return to;
  }

  async settleVersion(name: string, version: number): Promise<void> {
    // Best effort: a marker left on a registered version is ignored (the event decides).
    await unlink(path.join(this.versionDir(name, version), PENDING_MARKER)).catch(() => {});
  }

  async uncommitVersion(name: string, version: number): Promise<void> {
    // Only while we still hold the lock: otherwise another writer may already have set it aside.
    await this.held?.assertHeld(`removing ${this.versionDir(name, version)}`);
    await rm(this.versionDir(name, version), { recursive: true, force: true });
  }

  async commitVersion(staged: StagedFile, record: VersionRecord): Promise<void> {
    const from = this.stagingDir(staged.id);
    const target = this.versionDir(record.name, record.version);
    await this.step('write', target, async () => {
      try {
        await writeSynced(path.join(from, 'version.json'), JSON.stringify(record, null, 2) + '\n');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        throw new MlopsError(
          'REGISTRY_STAGING_LOST',
          `the staged copy ${from} was removed by another process before it became ${record.name}@${record.version}`,
          {
            hint: "nothing was registered; run the command again (and check that no cleanup job deletes the registry's staging folder)",
          },
        );
      }
      await chmod(path.join(from, 'version.json'), 0o444);
      await writeSynced(
        path.join(from, PENDING_MARKER),
        JSON.stringify({ pid: process.pid, at: new Date().toISOString() }) + '\n',
      );
      await mkdir(path.dirname(target), { recursive: true });
      // Never replace a folder: rename(2) would silently replace an empty one.
      if (
        await stat(target).then(
          () => true,
          () => false,
        )
      ) {
        throw new MlopsError('REGISTRY_CHANGED', `${target} already exists; a version folder is never replaced`, {
          hint: 'nothing was registered; run the command again (it takes the next free number)',
        });
      }
      await this.held?.assertHeld(`storing ${record.name}@${record.version}`);
      await rename(from, target);
      this.inFlight.get(staged.id)?.();
    });
    await failpoint('after-commit-version');
  }

  append(name: string, events: NewEvent[]): Promise<RegistryEvent[]> {
    return this.appendEvents<RegistryEvent>(this.historyPath(name), events);
  }

  private async appendEvents<T>(file: string, events: object[], kind: HistoryKind = 'model'): Promise<T[]> {
    return this.step('write', file, async () => {
      await mkdir(path.dirname(file), { recursive: true });
      const { lastSeq, needsNewline } = await this.prepareTail(file, kind);
      let seq = lastSeq;
      const numbered = events.map((e) => ({ seq: ++seq, ...e }) as T);
      // A complete last event without its newline (a hand edit, a copy) is kept: end its line first.
      const payload = (needsNewline ? '\n' : '') + numbered.map((e) => JSON.stringify(e) + '\n').join('');
      await this.held?.assertHeld(`appending to ${file}`);
      const sizeBefore = (await stat(file).catch(() => undefined))?.size ?? 0;
      const handle = await open(file, 'a');
      try {
        await failpoint('append-torn', () => handle.write(payload.slice(0, payload.length >> 1)));
        await failpoint('append-write');
        // One write call per batch: a crash tears at most this write, which the next writer cuts off.
        await handle.write(payload);
        await handle.sync();
      } catch (err) {
        // A failed write (a full disk) or sync: take back whatever part of it landed, so the
        // history is as it was and the caller can undo what depended on it.
        if (
          await this.held?.assertHeld('').then(
            () => true,
            () => false,
          )
        )
          await truncate(file, sizeBefore).catch(() => {});
        throw err;
      } finally {
        await handle.close();
      }
      // A writer paused past the stale limit between its check and its write (SIGSTOP, a frozen VM)
      // cannot be fenced off with a lock file: it must at least not report success.
      await this.held?.assertHeld('reporting success', `appending to ${file}`);
      return numbered;
    });
  }

  /**
   * Drop a torn last line left by a killed writer (one that does not parse);
   * returns the last event's seq and whether that event still needs its newline.
   */
  private async prepareTail(file: string, kind: HistoryKind): Promise<{ lastSeq: number; needsNewline: boolean }> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lastSeq: 0, needsNewline: false };
      throw err;
    }
    const parsed = parseHistory(text, file, kind);
    if (parsed.torn) await truncate(file, parsed.completeBytes);
    const last = parsed.events[parsed.events.length - 1];
    return { lastSeq: last ? last.seq : 0, needsNewline: parsed.missingNewline };
  }
}

async function writeSynced(file: string, text: string): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The registry folder: --registry, else MLOPS_REGISTRY, else .mlops in the current folder;
 * null when those name a database (or a URL that is not a registry) instead.
 */
export function registryRoot(
  option?: string,
  cwd = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  try {
    const location = registryLocation(option, cwd, env);
    return location.kind === 'folder' ? location.root : null;
  } catch {
    // Not a folder (a URL of another scheme): refused where the registry is used, not by every output check.
    return null;
  }
}

export async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}
