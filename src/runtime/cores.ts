/**
 * CPUs this process may use: the affinity mask (os.availableParallelism)
 * lowered to the container's CPU quota. A Kubernetes CPU limit sets a cgroup
 * quota, not the affinity, so without this a pod limited to 2 CPUs on a
 * 32-core node would start 31 onnxruntime threads.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

function readQuota(): number | undefined {
  try {
    // cgroup v2: "max 100000" or "200000 100000" (quota and period in microseconds).
    const [quota, period] = readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim().split(/\s+/);
    if (quota !== 'max') return Number(quota) / Number(period);
  } catch {
    try {
      // cgroup v1: a quota of -1 means none.
      const quota = Number(readFileSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us', 'utf8'));
      const period = Number(readFileSync('/sys/fs/cgroup/cpu/cpu.cfs_period_us', 'utf8'));
      if (quota > 0 && period > 0) return quota / period;
    } catch {
      // No cgroup CPU controller visible: the affinity mask is all we know.
    }
  }
  return undefined;
}

export function availableCores(): number {
  const quota = readQuota();
  const cores = availableParallelism();
  return quota !== undefined && Number.isFinite(quota) && quota > 0
    ? Math.max(1, Math.min(cores, Math.ceil(quota)))
    : cores;
}
