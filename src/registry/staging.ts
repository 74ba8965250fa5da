/**
 * Staging entries: `staging/<owner>~<random>/`, where a model file is copied
 * and hashed before the lock is taken. The entry's name says who owns it
 * (host, boot id, pid namespace, pid: see util/process-owner.ts), so any
 * writer can tell an abandoned entry (a killed register) from one in flight,
 * even in another container with the same hostname.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { currentOwner, isAbandoned, type ProcessOwner } from '../util/process-owner.js';

/** How often an in-flight register refreshes its staging entry's mtime. */
export const STAGING_HEARTBEAT_MS = 15_000;
/**
 * An entry whose owner cannot be checked from here (another pid namespace or
 * host) is abandoned when not refreshed for this long: 20 missed heartbeats.
 */
export const STAGING_STALE_MS = 5 * 60_000;

/** Host names are free text on some systems: keep the entry name a plain file name. */
function safeHost(host: string): string {
  return host.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function newStagingId(): string {
  const me = currentOwner();
  return [safeHost(me.host), me.boot || '-', me.pidns || '-', me.pid, randomBytes(6).toString('hex')].join('~');
}

/** The owner an entry's name records; null for a name this version did not write (judged by age). */
export function stagingOwner(id: string): Partial<ProcessOwner> | null {
  const parts = id.split('~');
  if (parts.length < 5) return null;
  const [boot, pidns, pid] = parts.slice(-4, -1);
  return {
    host: parts.slice(0, -4).join('~'),
    boot: boot === '-' ? '' : boot,
    pidns: pidns === '-' ? '' : pidns,
    pid: Number(pid),
  };
}

/** Remove the entries of dead or long-silent owners; in-flight ones, here or in another namespace, stay. */
export async function removeAbandonedStaging(dir: string, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  const entries = await readdir(dir).catch(() => [] as string[]);
  const me = currentOwner();
  for (const entry of entries) {
    const owner = stagingOwner(entry);
    const info = await stat(path.join(dir, entry)).catch(() => undefined);
    if (!info) continue;
    // Names record the sanitized host: compare like with like.
    const judged = owner && owner.host === safeHost(me.host) ? { ...owner, host: me.host } : owner;
    if (isAbandoned(judged, info.mtimeMs, STAGING_STALE_MS, now)) {
      await rm(path.join(dir, entry), { recursive: true, force: true }).catch(() => {});
      removed.push(entry);
    }
  }
  return removed;
}
