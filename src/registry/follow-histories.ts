/**
 * Change notices for a folder registry: the history files are polled (size and
 * mtime), because inotify does not see writes made by other machines on a
 * shared volume (NFS, SMB), which is how teams share a folder registry.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** How often the history files are looked at (MLOPS_WATCH_INTERVAL_MS overrides, for tests). */
function pollInterval(): number {
  const ms = Number(process.env.MLOPS_WATCH_INTERVAL_MS);
  return Number.isFinite(ms) && ms >= 10 ? ms : 500;
}

async function fingerprints(root: string): Promise<Map<string, string>> {
  const models = path.join(root, 'models');
  const names = await readdir(models).catch(() => [] as string[]);
  const seen = new Map<string, string>();
  await Promise.all(
    names.map(async (name) => {
      const info = await stat(path.join(models, name, 'history.jsonl')).catch(() => undefined);
      if (info) seen.set(name, `${info.size}:${info.mtimeMs}`);
    }),
  );
  // policies.jsonl is not followed: a policy change moves no alias (the database store notifies none either).
  return seen;
}

export async function followHistories(
  root: string,
  onChange: (names: string[] | null) => void,
  signal: AbortSignal,
  onError?: (err: unknown) => void,
): Promise<void> {
  let last = await fingerprints(root);
  // A caller that read the histories before calling us must not miss a write made
  // between its read and these fingerprints: have everything read again once.
  if (!signal.aborted) onChange(null);
  const interval = pollInterval();
  while (!signal.aborted) {
    // The abort listener is removed at every tick: one left per poll would pile up for as long as the watch runs.
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, interval);
      signal.addEventListener('abort', wake, { once: true });
    });
    if (signal.aborted) return;
    try {
      const now = await fingerprints(root);
      const changed = [...now].filter(([name, print]) => last.get(name) !== print).map(([n]) => n);
      last = now;
      if (changed.length) onChange(changed);
    } catch (err) {
      onError?.(err);
    }
  }
}
