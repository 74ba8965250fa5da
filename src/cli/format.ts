/**
 * The output format, chosen one way in every command: `--format <f>` with the formats the command
 * offers, `--json` as the short alias of `--format json` (every script uses it), and old flags that
 * chose a format (drift --markdown) as hidden aliases.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { MlopsError } from '../util/errors.js';

export type Format = 'table' | 'json' | 'markdown' | 'junit' | 'html';

/** What each command offers, and the old flags that meant a format, kept per command for chosenFormat. */
const declared = new WeakMap<Command, { offered: readonly Format[]; oldFlags: Record<string, Format> }>();

function orList(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** Rejects a format the command does not offer, naming the ones it does (a usage error, exit 2). */
export function parseFormat(offered: readonly Format[], command: string): (value: string) => Format {
  return (value: string) => {
    if (!(offered as readonly string[]).includes(value))
      throw new InvalidArgumentError(`${command} does not print "${value}"; choose ${orList(offered)}.`);
    return value as Format;
  };
}

/** 'registry list', not 'list': the words a user typed. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ') || cmd.name();
}

/**
 * Add --format (table when not given) and --json to a command. `oldFlags` maps old switches to the format they
 * chose ({ '--markdown': 'markdown' }); they stay as hidden aliases.
 */
export function addFormatFlags(
  cmd: Command,
  offered: readonly Format[],
  help: { json?: string; oldFlags?: Record<string, Format> } = {},
): Command {
  const described = offered.map((f) => (f === 'table' ? 'table (default)' : f));
  cmd.addOption(
    new Option('--format <format>', `output format: ${orList(described)}`).argParser(
      parseFormat(offered, commandPath(cmd)),
    ),
  );
  cmd.addOption(new Option('--json', help.json ?? 'same as --format json'));
  for (const flag of Object.keys(help.oldFlags ?? {})) cmd.addOption(new Option(flag).hideHelp());
  declared.set(cmd, { offered, oldFlags: help.oldFlags ?? {} });
  return cmd;
}

/** The format the flags chose; two flags choosing different formats is a usage error. */
export function chosenFormat(cmd: Command): Format {
  const formats = declared.get(cmd);
  if (!formats) return 'table';
  const opts = cmd.opts<{ format?: Format; json?: boolean } & Record<string, unknown>>();
  const given: Array<[string, Format]> = [];
  if (opts.format) given.push([`--format ${opts.format}`, opts.format]);
  if (opts.json) given.push(['--json', 'json']);
  for (const [flag, format] of Object.entries(formats.oldFlags))
    if (opts[new Option(flag).attributeName()]) given.push([flag, format]);
  const other = given.find(([, f]) => f !== given[0][1]);
  if (other)
    throw new MlopsError(
      'OPTIONS_CONFLICT',
      `${given[0][0]} and ${other[0]} ask for different output formats: give one`,
      { hint: `${commandPath(cmd)} prints ${orList(formats.offered)}; --json is short for --format json` },
    );
  return given[0]?.[1] ?? 'table';
}

/** Before parsing succeeds (a usage error from commander): whether the command line asked for JSON. */
export function argvWantsJson(argv: string[]): boolean {
  return argv.some(
    (arg, i) => arg === '--json' || arg === '--format=json' || (arg === '--format' && argv[i + 1] === 'json'),
  );
}
