/**
 * Crash points for the crash-safety tests: with MLOPS_FAILPOINT=<name> the
 * process kills itself with SIGKILL when it reaches that point, exactly as an
 * OOM killer or a cancelled CI job would. Unset, it costs one property read.
 */
export async function failpoint(name: string, beforeDying?: () => Promise<unknown>): Promise<void> {
  if (process.env.MLOPS_FAILPOINT !== name) return;
  await beforeDying?.();
  process.kill(process.pid, 'SIGKILL');
  await new Promise(() => {}); // never resumes
}
