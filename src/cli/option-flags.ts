/**
 * Libraries name their options in errors as code (`allowMissing`), so a
 * programmatic caller reads the option it can set; the command line reads the
 * flag it can type. This is the one place that turns one into the other: the
 * flags come from the running command's own declarations (commander knows
 * each flag's option name), plus the few library names no flag derives from.
 */
import type { Command } from 'commander';

/** Library option names that no visible flag of the command derives from: command name -> option -> flag. */
const RENAMED: Record<string, Record<string, string>> = {
  '*': { inputs: '--input', dims: '--dim', acks: '--ack', 'tags.features': '--tag features=...' },
  drift: { columns: '--features', exclude: '--ignore' },
  quantize: { exclude: '--exclude-nodes' },
  check: { batch: '--batch-size' },
  bench: { batchSizes: '--batch-size' },
  serve: {
    names: '--name',
    maxBodyBytes: '--max-body',
    timeoutMs: '--timeout',
    maxQueueRows: '--max-queue',
    maxQueueDelayMs: '--max-queue-delay',
    drainTimeoutMs: '--drain-timeout',
  },
};

let running: Command | undefined;

/** Called before a command's action runs (a commander preAction hook): whose flags errors are phrased in. */
export function noteRunningCommand(command: Command): void {
  running = command;
}

/** The flag that sets a library option in this command (or a command above it), if there is one. */
export function flagFor(option: string, command: Command | undefined = running): string | undefined {
  if (!command) return undefined;
  const renamed = RENAMED[command.name()]?.[option] ?? RENAMED['*'][option];
  if (renamed) return renamed;
  for (let c: Command | null = command; c; c = c.parent) {
    // Hidden options are old spellings kept for scripts: name the one --help shows.
    const declared = c.options.find((o) => !o.hidden && o.long && o.attributeName() === option);
    if (declared?.long) return declared.long;
  }
  return undefined;
}

/** A library message or hint as the command line says it: `option` becomes its --flag. */
export function phraseForCli(text: string, command: Command | undefined = running): string {
  return text.replace(
    /`([a-z][A-Za-z0-9]*(?:\.[a-z][A-Za-z0-9]*)?)`/g,
    (whole, option: string) => flagFor(option, command) ?? whole,
  );
}
