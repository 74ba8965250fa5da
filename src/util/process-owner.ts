/**
 * Who owns a temporary file, in a form that survives PID namespaces.
 *
 * A pid means something only inside its PID namespace on one boot: two
 * containers sharing a hostname (host networking, one pod) each have a pid 7.
 * The owner tag hashes host, boot id and the pid namespace's inode, so a pid
 * is checked for life only when the tag says it is ours to check; anything
 * else is judged by age, and live owners keep their files fresh (touchLive).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';

let tag: string | undefined;

/** 8 hex digits naming this host, boot and PID namespace. */
export function ownerTag(): string {
  if (tag) return tag;
  const read = (f: () => string) => {
    try {
      return f();
    } catch {
      return '';
    }
  };
  const boot = read(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  const pidNs = read(() => readlinkSync('/proc/self/ns/pid'));
  tag = createHash('sha256').update(`${os.hostname()}\n${boot}\n${pidNs}`).digest('hex').slice(0, 8);
  return tag;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Files whose owner we cannot check are abandoned when not refreshed for this long. */
export const FOREIGN_STALE_MS = 10 * 60_000;

/**
 * Whether a file left by (tag, pid) is abandoned. `mine` says whether this
 * process still uses it (pids are reused: a container's main process is often
 * pid 1 on every run).
 */
export function isAbandoned(owner: { tag: string; pid: number }, mtimeMs: number, mine: boolean, now = Date.now()): boolean {
  if (owner.tag === ownerTag()) return owner.pid === process.pid ? !mine : !processAlive(owner.pid);
  return now - mtimeMs > FOREIGN_STALE_MS;
}
