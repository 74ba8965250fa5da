/**
 * A cross-process lock on a file, with stale-lock recovery.
 *
 * Acquire: create `<path>` exclusively (a hard link of a written temporary),
 * holding the owner {host, boot, pidns, pid} (see process-owner.ts), a token
 * and the time.
 * A lock is stale when its holder is a dead process in our pid namespace, or
 * when it was not refreshed for `staleMs`, whoever holds it (a live pid may be
 * a reused one; the holder may be in another namespace or host): holders keep
 * it for milliseconds, and refresh its mtime every staleMs/4 while they hold
 * it. A holder paused past `staleMs` loses the lock: it checks it still holds
 * it (HeldLock.assertHeld) before each irreversible step.
 * Breaking a stale lock is itself serialized by `<path>.break` (O_EXCL): the
 * breaker re-reads the lock under it and removes it only if it still holds
 * the same token, so a fresh lock taken meanwhile is never removed.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MlopsError } from './errors.js';
import { failpoint } from './failpoint.js';
import { removeStaleTemps } from './fs-atomic.js';
import {
  currentOwner,
  isAbandoned,
  ownerLiveness,
  ownerTag,
  startHeartbeat,
  type ProcessOwner,
} from './process-owner.js';

export interface LockOptions {
  /** Give up after this long (default 30 s, or MLOPS_LOCK_TIMEOUT_MS). */
  timeoutMs?: number;
  /** A lock not refreshed for this long is stale when its holder cannot be checked from here (default 60 s). */
  staleMs?: number;
}

interface LockOwner extends ProcessOwner {
  token: string;
  at: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Create `path` holding `content`, or return false when it exists. The content is
 * written to a temporary file first and hard-linked into place, so a process killed
 * at any moment never leaves an empty lock (which, holding no owner, could only be
 * judged by its age: a minute of every writer waiting). File systems without hard
 * links get O_EXCL and a write.
 */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const temp = join(
    dirname(path),
    `.${basename(path)}.tmp-${ownerTag()}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    await writeFile(temp, content, { flag: 'wx' });
  } catch {
    return createByOpen(path, content);
  }
  try {
    await failpoint('lock-temp-written');
    await link(temp, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS' || code === 'EXDEV')
      return createByOpen(path, content);
    throw err;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

async function createByOpen(path: string, content: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx');
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

async function readOwner(path: string): Promise<LockOwner | null | 'missing'> {
  try {
    const text = await readFile(path, 'utf8');
    return JSON.parse(text) as LockOwner;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    return null; // being written, or torn by a crash: judged by age below
  }
}

async function isStale(path: string, owner: LockOwner | null, staleMs: number): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return info !== undefined && isAbandoned(owner, info.mtimeMs, staleMs);
}

async function breakStale(path: string, observed: LockOwner | null, staleMs: number): Promise<void> {
  const breakPath = `${path}.break`;
  if (!(await createExclusive(breakPath, String(process.pid)))) {
    // Another process is breaking it; a breaker that died leaves a stale .break behind.
    const info = await stat(breakPath).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > 10_000) await unlink(breakPath).catch(() => {});
    return;
  }
  try {
    const current = await readOwner(path);
    if (current === 'missing') return; // released meanwhile
    const same = current === null ? observed === null : observed !== null && current.token === observed.token;
    if (same && (await isStale(path, current, staleMs))) await unlink(path).catch(() => {});
  } finally {
    await unlink(breakPath).catch(() => {});
  }
}

/** What `fn` gets while it holds the lock. */
export interface HeldLock {
  /**
   * Throws (exit 2) unless the lock file still holds our token. A holder that
   * was paused (SIGSTOP, a frozen VM) past the stale threshold may have had its
   * lock broken by a writer that cannot check its pid; it must not go on to
   * an irreversible step, so it calls this right before each one.
   */
  /** `written`: what was already written, when the check comes after a write (the error then says so). */
  assertHeld(step: string, written?: string): Promise<void>;
}

/** Run `fn` while holding the lock at `path`. */
export async function withFileLock<T>(
  path: string,
  fn: (lock: HeldLock) => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? (Number(process.env.MLOPS_LOCK_TIMEOUT_MS) || 30_000);
  const staleMs = options.staleMs ?? 60_000;
  const owner: LockOwner = { ...currentOwner(), token: randomBytes(8).toString('hex'), at: Date.now() };
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  // The temporaries of writers killed between writing theirs and linking it.
  await removeStaleTemps(path).catch(() => {});
  for (;;) {
    await failpoint('lock-create');
    if (await createExclusive(path, JSON.stringify(owner))) break;
    const current = await readOwner(path);
    if (current !== 'missing' && (await isStale(path, current, staleMs))) {
      await breakStale(path, current, staleMs);
      continue;
    }
    if (Date.now() > deadline) {
      const foreign =
        current && current !== 'missing' && ownerLiveness(current) === 'unknown'
          ? '; its holder cannot be checked from here (another pid namespace or host)'
          : '';
      const refreshed = await stat(path).then(
        (i) => `, last refreshed ${new Date(i.mtimeMs).toISOString()}`,
        () => '',
      );
      // A lock without a plausible time (hand-written, older mlops) says nothing rather than "since 1970".
      const since =
        current && current !== 'missing' && Number.isFinite(current.at) && current.at > Date.UTC(2020, 0)
          ? ` since ${new Date(current.at).toISOString()}`
          : '';
      const who =
        current && current !== 'missing'
          ? ` (held by pid ${current.pid} on ${current.host}${since}${refreshed}${foreign}; it is broken once not refreshed for ${staleMs / 1000} s)`
          : '';
      throw new MlopsError('REGISTRY_LOCKED', `timed out after ${timeoutMs} ms waiting for the lock ${path}${who}`, {
        hint: 'another mlops process is writing to this registry; retry, or raise MLOPS_LOCK_TIMEOUT_MS',
      });
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
  }
  const stopHeartbeat = startHeartbeat(path, staleMs / 4);
  const held: HeldLock = {
    async assertHeld(step, written) {
      const current = await readOwner(path);
      if (current && current !== 'missing' && current.token === owner.token) return;
      const holder =
        current && current !== 'missing' ? `, and is now held by pid ${current.pid} on ${current.host}` : '';
      throw new MlopsError(
        'REGISTRY_LOCK_LOST',
        `lost the lock ${path} ${written ? `while ${written}` : `before ${step}`}: it was broken as stale while this process was paused (not refreshed for ${staleMs / 1000} s)${holder}`,
        {
          hint: written
            ? 'another writer may have written at the same time: run mlops registry verify (a version registered twice shows as duplicate_version)'
            : 'nothing more was written by this command; check the result with mlops registry verify, then run the command again',
        },
      );
    },
  };
  try {
    return await fn(held);
  } finally {
    stopHeartbeat();
    const current = await readOwner(path);
    if (current && current !== 'missing' && current.token === owner.token) await unlink(path).catch(() => {});
  }
}
