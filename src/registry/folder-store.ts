/**
 * The registry on a folder (`.mlops/` by default):
 *
 *   lock                                  held while writing (see util/file-lock.ts)
 *   staging/<id>/model.onnx               files being registered
 *   models/<name>/history.jsonl           append-only events: the source of truth
 *   models/<name>/versions/<n>/model.onnx immutable stored file (read-only)
 *   models/<name>/versions/<n>/version.json the version's record, for people and tools
 *
 * A version becomes visible only when its register event is appended, after
 * its folder was renamed into place, so a killed `register` leaves either no
 * version or a complete one. An interrupted append leaves a torn last line,
 * which readers ignore and the next writer cuts off (see history-lines.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat, truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { MlopsError } from '../util/errors.js';
import { processAlive, withFileLock } from '../util/file-lock.js';
import { failpoint } from '../util/failpoint.js';
import { parseHistory } from './history-lines.js';
import type { RegistryStore, StagedFile } from './store.js';
import type { NewEvent, RegistryEvent, VersionRecord } from './types.js';

const STORED_FILE = 'model.onnx';

export class FolderStore implements RegistryStore {
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

  filePath(name: string, version: number, file = STORED_FILE): string {
    return path.join(this.versionDir(name, version), file);
  }

  async listModels(): Promise<string[]> {
    try {
      const entries = await readdir(path.join(this.root, 'models'), { withFileTypes: true });
      return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async readHistory(name: string): Promise<RegistryEvent[]> {
    let text: string;
    try {
      text = await readFile(this.historyPath(name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return parseHistory(text, this.historyPath(name)).events;
  }

  withLock<T>(fn: () => Promise<T>): Promise<T> {
    return mkdir(this.root, { recursive: true }).then(() => withFileLock(path.join(this.root, 'lock'), fn));
  }

  async stage(sourcePath: string): Promise<StagedFile> {
    await this.removeAbandonedStaging();
    const id = `${os.hostname()}~${process.pid}~${randomBytes(6).toString("hex")}`;
    const dir = path.join(this.root, 'staging', id);
    await mkdir(dir, { recursive: true });
    const hash = createHash('sha256');
    let size = 0;
    const target = path.join(dir, STORED_FILE);
    await pipeline(
      createReadStream(sourcePath),
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      }),
      createWriteStream(target, { flags: 'wx' }),
    );
    const handle = await open(target, 'r');
    await handle.sync();
    await handle.close();
    await chmod(target, 0o444);
    await failpoint('after-stage');
    return { id, sha256: hash.digest('hex'), sizeBytes: size };
  }

  /** Staging folders of killed processes on this host (other hosts clean up their own). */
  private async removeAbandonedStaging(): Promise<void> {
    const entries = await readdir(path.join(this.root, 'staging')).catch(() => [] as string[]);
    for (const entry of entries) {
      const [host, pid] = entry.split("~");
      if (host === os.hostname() && !processAlive(Number(pid))) await rm(path.join(this.root, 'staging', entry), { recursive: true, force: true });
    }
  }

  async discard(staged: StagedFile): Promise<void> {
    await rm(path.join(this.root, 'staging', staged.id), { recursive: true, force: true });
  }

  async storedVersions(name: string): Promise<number[]> {
    try {
      return (await readdir(path.join(this.modelDir(name), 'versions'))).filter((d) => /^\d+$/.test(d)).map(Number).sort((a, b) => a - b);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async commitVersion(staged: StagedFile, record: VersionRecord): Promise<void> {
    const from = path.join(this.root, 'staging', staged.id);
    await writeSynced(path.join(from, 'version.json'), JSON.stringify(record, null, 2) + '\n');
    await chmod(path.join(from, 'version.json'), 0o444);
    const target = this.versionDir(record.name, record.version);
    await mkdir(path.dirname(target), { recursive: true });
    // Under the lock, a folder with no register event is what a killed register left: replace it.
    await rm(target, { recursive: true, force: true });
    await rename(from, target);
    await failpoint('after-commit-version');
  }

  async append(name: string, events: NewEvent[]): Promise<RegistryEvent[]> {
    const file = this.historyPath(name);
    await mkdir(path.dirname(file), { recursive: true });
    const { lastSeq, needsNewline } = await this.prepareTail(file);
    let seq = lastSeq;
    const numbered = events.map((e) => ({ seq: ++seq, ...e }) as RegistryEvent);
    // A complete last event without its newline (a hand edit, a copy) is kept: end its line first.
    const payload = (needsNewline ? '\n' : '') + numbered.map((e) => JSON.stringify(e) + '\n').join('');
    const handle = await open(file, 'a');
    try {
      await failpoint('append-torn', () => handle.write(payload.slice(0, payload.length >> 1)));
      // One write call per batch: a crash tears at most this write, which the next writer cuts off.
      await handle.write(payload);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return numbered;
  }

  /**
   * Drop a torn last line left by a killed writer (one that does not parse);
   * returns the last event's seq and whether that event still needs its newline.
   */
  private async prepareTail(file: string): Promise<{ lastSeq: number; needsNewline: boolean }> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lastSeq: 0, needsNewline: false };
      throw err;
    }
    const parsed = parseHistory(text, file);
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

/** Where the registry lives: --registry, else MLOPS_REGISTRY, else .mlops in the current folder. */
export function registryRoot(option?: string, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(cwd, option ?? env.MLOPS_REGISTRY ?? '.mlops');
}

export async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}
