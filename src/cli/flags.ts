/**
 * Flags declared as data, typed by the options object they fill. Every command declares its flags
 * with `flagSet<XOptions>()({...})`: a key must be a field of the library's XOptions (or of the
 * command's own small interface for CLI-only settings such as --progress), and its parser must return
 * that field's type, so a flag cannot drift from the library option it feeds. `readFlags` turns
 * commander's parsed values back into that typed object; nothing in src/cli casts commander's opts.
 */
import { Option, type Command } from 'commander';
import { oneSpelling } from './parsers.js';

type Parser<T> = (value: string, previous: T) => T;

interface FlagBase<T> {
  /** commander's spelling: '--batch-size <n>', '--keep-all', '--no-fail'. */
  flag: string;
  help: string;
  /** For a value from a fixed list (commander rejects anything else, naming the choices). */
  choices?: readonly T[];
  default?: T;
  required?: boolean;
  /** Old spelling kept as a hidden alias for scripts ('--batch <n>'): either spelling, not both. */
  alias?: string;
  /** With a '--x' switch: also declare '--no-x' with this help (undefined when neither is given). */
  negate?: string;
  hidden?: boolean;
}

/** A plain string or switch needs no parser; anything else (numbers, lists, records) names one. */
export type FlagSpec<T> = FlagBase<T> & ([T] extends [string | boolean] ? { parse?: Parser<T> } : { parse: Parser<T> });

/** The flags of one options type; a FlagSet<O> reads back as exactly O. */
export interface FlagSet<O> {
  specs: { [K in keyof O]-?: FlagSpec<NonNullable<O[K]>> };
}

/**
 * Declare flags for fields of O: `flagSet<DriftOptions>()({ alpha: { flag: '--alpha <a>', ... } })`
 * gives a FlagSet of the declared fields of DriftOptions (an unknown key or a parser of the wrong
 * type does not compile).
 */
export function flagSet<O>() {
  return <K extends keyof O>(specs: { [P in K]-?: FlagSpec<NonNullable<O[P]>> }): FlagSet<Pick<O, K>> =>
    ({ specs }) as FlagSet<Pick<O, K>>;
}

function toOption<T>(spec: FlagSpec<T>, flag: string, help: string): Option {
  const option = new Option(flag, help);
  if (spec.parse) option.argParser(spec.parse as Parser<unknown>);
  if (spec.choices) option.choices(spec.choices as readonly string[]);
  if (spec.default !== undefined) option.default(spec.default);
  if (spec.required) option.makeOptionMandatory();
  if (spec.hidden) option.hideHelp();
  return option;
}

/** Add every flag of the sets to a command (in declaration order, which is the --help order). */
export function addFlags(cmd: Command, ...sets: Array<FlagSet<object>>): Command {
  for (const set of sets) {
    for (const spec of Object.values(set.specs) as Array<FlagSpec<unknown>>) {
      cmd.addOption(toOption(spec, spec.flag, spec.help));
      if (spec.negate) cmd.addOption(new Option(`--no-${spec.flag.replace(/^--/, '')}`, spec.negate));
      if (spec.alias)
        cmd.addOption(
          toOption({ ...spec, default: undefined, required: false, hidden: true }, spec.alias, '').hideHelp(),
        );
    }
  }
  return cmd;
}

/** commander's attribute name of a flag spelling ('--batch-size <n>' -> batchSize, '--no-fail' -> fail). */
function attributeName(flag: string): string {
  return new Option(flag).attributeName();
}

const spelling = (flag: string) => flag.split(' ')[0];

/** The values of one flag set as its typed options object: only flags given or defaulted are present. */
export function readFlags<O>(cmd: Command, set: FlagSet<O>): O {
  const opts = cmd.opts();
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(set.specs) as Array<[string, FlagSpec<unknown>]>) {
    const name = attributeName(spec.flag);
    // A default is not a spelling the user gave: `--batch 8` alone is not "both spellings".
    const given = cmd.getOptionValueSource(name) === 'default' ? undefined : opts[name];
    const old = spec.alias ? opts[attributeName(spec.alias)] : undefined;
    const value = spec.alias ? oneSpelling(given, old, spelling(spec.flag), spelling(spec.alias)) : given;
    const chosen = value ?? opts[name];
    if (chosen !== undefined) out[key] = chosen;
  }
  return out as O;
}

/** --registry, the same in every command. */
export const REGISTRY_FLAG: FlagSpec<string> = {
  flag: '--registry <dir|url>',
  help: 'registry folder, or postgres://user@host:5432/db for a team registry (default: $MLOPS_REGISTRY, else ./.mlops)',
};
