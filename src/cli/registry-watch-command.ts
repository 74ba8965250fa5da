/**
 * `mlops registry watch [name]`: one JSON line per alias move on stdout, for as
 * long as it runs (the one command that prints more than one document); notes
 * and connection trouble on stderr. Ctrl-C or SIGTERM ends it with exit 0.
 */
import type { Command } from 'commander';
import { JSON_SCHEMA_VERSION } from '../report/json.js';
import { ExitCode, isMlopsError } from '../util/errors.js';
import { addFlags, flagSet, readFlags, REGISTRY_FLAG } from './flags.js';
import { addFormatFlags } from './format.js';
import { takeInterrupt } from './interrupt.js';
import { phraseForCli } from './option-flags.js';
import { examples } from './parsers.js';
import { runCommand } from './run.js';

interface WatchFlags {
  initial?: boolean;
  registry?: string;
}

const WATCH = flagSet<WatchFlags>()({
  initial: {
    flag: '--initial',
    help: 'first print where every alias points now (one line each, "initial": true), then the moves',
  },
  registry: REGISTRY_FLAG,
});

export function addWatchCommand(group: Command): void {
  const cmd = group
    .command('watch')
    .description('print alias moves (promote, rollback) as they happen: one JSON line each, until Ctrl-C')
    .argument('[name]', 'only this model (it may be registered later: watch waits for it)');
  addFlags(cmd, WATCH);
  // Like every command it takes --format and --json; JSON lines are all it prints.
  addFormatFlags(cmd, ['json'], { json: 'accepted for scripts: the output is always JSON lines' });
  cmd.addHelpText(
    'after',
    `
Each line is one JSON document:
  {"version":1,"type":"alias_move","name":"fraud","alias":"production","action":"promote",
   "from":2,"to":3,"sha256":"...","seq":7,"at":"...","actor":"github:ci","host":"...","initial":false}
"to" is the version the alias points at now (load name@to). Lines come in history order per model.
A model present at start is followed from its current end (--initial first prints the event that put
each alias where it is); one registered later, from its first event. On PostgreSQL it listens for
notifications, on a folder it polls the history files (MLOPS_WATCH_INTERVAL_MS, default 500); after
a lost connection it reconnects and re-reads the histories, so no move is missed or printed twice.
Notes and connection trouble go to stderr. Ctrl-C or SIGTERM ends it with exit 0.
${examples([
  'mlops registry watch fraud --registry postgres://reader@db:5432/mlops',
  'mlops registry watch --initial | jq -c \'select(.alias == "production")\'',
])}`,
  );
  cmd.action(async (name: string | undefined, _opts: unknown, c: Command) => {
    const flags = readFlags(c, WATCH);
    const given = c.optsWithGlobals<{ json?: boolean; format?: string }>();
    const json = Boolean(given.json) || given.format === 'json';
    const debug = Boolean(c.optsWithGlobals<{ debug?: boolean }>().debug);
    await runCommand({ json, debug }, async () => {
      const { watchAliases } = await import('../registry/watch.js');
      const { closeStores } = await import('../registry/context.js');
      const stop = new AbortController();
      takeInterrupt(() => stop.abort());
      // The reader of stdout went away (`| head -1`): nothing more to do.
      process.stdout.once('error', () => stop.abort());
      let lastTrouble = '';
      try {
        await watchAliases({
          ...flags,
          name,
          signal: stop.signal,
          onMove: (move) => {
            process.stdout.write(`${JSON.stringify({ version: JSON_SCHEMA_VERSION, ...move })}\n`);
          },
          onError: (err) => {
            const said = trouble(err);
            // A server down for minutes is said once, not at every attempt.
            if (said !== lastTrouble) process.stderr.write(`watch: ${said}\n`);
            lastTrouble = said;
          },
          onReady: () =>
            process.stderr.write(`watch: following alias moves${name ? ` of ${name}` : ''} (Ctrl-C to stop)\n`),
          onNote: (message) => {
            lastTrouble = '';
            process.stderr.write(`watch: ${message}\n`);
          },
        });
      } finally {
        takeInterrupt(undefined);
        await closeStores();
      }
      return { stdout: '', exitCode: ExitCode.Ok };
    });
  });
}

/** Trouble the watch survives: the error's words, and that it carries on. */
function trouble(err: unknown): string {
  const message = isMlopsError(err) ? phraseForCli(err.message) : err instanceof Error ? err.message : String(err);
  return `${message}; retrying`;
}
