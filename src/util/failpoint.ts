/**
 * Crash and failure points for the robustness tests. Unset, each costs one
 * property read.
 *
 *   MLOPS_FAILPOINT=<name>          the process kills itself with SIGKILL at that
 *                                   point, exactly as an OOM killer or a cancelled
 *                                   CI job would
 *   MLOPS_FAILPOINT=<name>:<ERRNO>  the operation at that point fails with that
 *                                   errno (ENOSPC, EROFS, EACCES...), as a full,
 *                                   read-only or forbidden volume would make it fail;
 *                                   tests run as root, where chmod stops nothing
 *   MLOPS_FAILPOINT=<name>:stop     the process stops itself (SIGSTOP) there and goes on
 *                                   when it gets SIGCONT, as a paused process would
 *   MLOPS_FAILPOINT=<name>:hang     the process reports "failpoint <name> reached" on
 *                                   stderr and waits there, so a test can interrupt it
 */
export async function failpoint(name: string, beforeDying?: () => Promise<unknown>): Promise<void> {
  const spec = process.env.MLOPS_FAILPOINT;
  if (spec === undefined || !spec.startsWith(name)) return;
  if (spec === `${name}:hang`) {
    process.stderr.write(`failpoint ${name} reached\n`);
    await new Promise(() => setInterval(() => {}, 1 << 30)); // keeps the process alive until a signal
  }
  if (spec === `${name}:stop`) {
    // Paused as by SIGSTOP (a frozen VM, a debugger): a test sends SIGCONT.
    process.kill(process.pid, 'SIGSTOP');
    return;
  }
  const injected = injectedError(name);
  if (injected) throw injected;
  if (spec !== name) return;
  await beforeDying?.();
  process.kill(process.pid, 'SIGKILL');
  await new Promise(() => {}); // never resumes
}

/** The error MLOPS_FAILPOINT=<name>:<ERRNO> asks for at this point (synchronous callers), else null. */
export function injectedError(name: string): NodeJS.ErrnoException | null {
  const spec = process.env.MLOPS_FAILPOINT;
  if (spec === undefined || !spec.startsWith(`${name}:`)) return null;
  const code = spec.slice(name.length + 1);
  if (!/^E[A-Z]+$/.test(code)) return null;
  return Object.assign(new Error(`${code}: injected by MLOPS_FAILPOINT`), { code, errno: -1, syscall: 'write' });
}
