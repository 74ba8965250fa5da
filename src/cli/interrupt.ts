/**
 * Ctrl-C and SIGTERM: by default (cli.ts) an interrupted command removes its
 * temporary files and dies by the signal. A command whose normal end is an
 * interrupt (`registry watch`) takes the next one over and ends with exit 0;
 * a second one still kills it.
 */
type Handler = (signal: NodeJS.Signals) => void;

let taken: Handler | undefined;

/** Handle the next SIGINT/SIGTERM here instead of dying by it; `undefined` gives it back. */
export function takeInterrupt(handler: Handler | undefined): void {
  taken = handler;
}

/** Called by cli.ts's signal handler: whether a command took the signal. */
export function interruptTaken(signal: NodeJS.Signals): boolean {
  const handler = taken;
  taken = undefined;
  handler?.(signal);
  return handler !== undefined;
}
