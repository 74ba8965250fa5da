/** `mlops registry ...`: declarations only; the work is in src/registry/ (and src/release/ for the gated writes). */
import type { Command } from 'commander';
import { ExitCode } from '../util/errors.js';
import type { RollbackOptions } from '../registry/index.js';
import type {
  AliasPolicyOptions as PolicyOptions,
  PromoteModelOptions as PromoteOptions,
  RegisterModelOptions as RegisterOptions,
} from '../release/index.js';
import type { RenderOptions } from '../report/style.js';
import { collect, examples, parseKeyNumber, parseKeyValue, parseList, parsePositiveInt } from './parsers.js';
import { addFlags, flagSet, readFlags, REGISTRY_FLAG, type FlagSet } from './flags.js';
import { addFormatFlags } from './format.js';
import { commandAction, type CommandShape } from './shape.js';
import { addWatchCommand } from './registry-watch-command.js';
import { phraseForCli } from './option-flags.js';

type Registry = typeof import('../registry/index.js');
type Reports = typeof import('../report/registry.js');
type ListOptions = Parameters<Registry['listRegistry']>[0];
type ShowOptions = Parameters<Registry['showVersion']>[0];
type HistoryOptions = Parameters<Registry['modelHistory']>[0];
type VerifyOptions = Parameters<Registry['verifyRegistry']>[0];
type ArchiveOptions = Parameters<Registry['archiveVersion']>[0];
type MigrateOptions = Parameters<Registry['migrateRegistry']>[0];
type CopyOptions = Parameters<Registry['copyRegistry']>[0];

const registry = () => import('../registry/index.js');
/** register, promote and policy with their gates (model checks, checklists): loaded only by those commands. */
const release = () => import('../release/index.js');

const REGISTRY_ONLY = flagSet<ListOptions>()({ registry: REGISTRY_FLAG });

const REGISTER = flagSet<RegisterOptions>()({
  description: { flag: '--description <text>', help: 'what this version is' },
  tags: { flag: '--tag <key=value>', help: 'a tag (repeatable)', parse: parseKeyValue },
  metrics: { flag: '--metric <name=number>', help: 'a metric (repeatable)', parse: parseKeyNumber },
  alias: {
    flag: '--alias <alias>',
    help: "point this alias at the new version (through the alias's policy, like promote)",
  },
  parent: { flag: '--parent <ref>', help: 'the version this one derives from (name@version)' },
  gitCommit: { flag: '--git-commit <sha>', help: 'source commit (default: from the CI environment)' },
  allowDuplicate: { flag: '--allow-duplicate', help: 'register even if identical bytes are already a version' },
  reason: { flag: '--reason <text>', help: 'why, recorded in history' },
  features: {
    flag: '--features <cols>',
    help: 'record the feature names, in the order of the model input (tag "features"): tables are then mapped by name',
    parse: parseList,
  },
  featuresFrom: {
    flag: '--features-from <csv>',
    help: 'record the feature names from this CSV header (a training file), less --ignore',
  },
  ignore: {
    flag: '--ignore <cols>',
    help: 'with --features-from: header columns that are not features (id, label)',
    parse: parseList,
  },
  registry: REGISTRY_FLAG,
});

const ARCHIVE = flagSet<ArchiveOptions>()({
  reason: { flag: '--reason <text>', help: 'why, recorded in history' },
  registry: REGISTRY_FLAG,
});

const PROMOTE = flagSet<PromoteOptions>()({
  to: { flag: '--to <alias>', help: 'the alias to move', required: true },
  require: {
    flag: '--require <alias>',
    help: 'refuse unless the version holds or has held this alias (e.g. staging before production), on top of the stored policy',
  },
  reason: { flag: '--reason <text>', help: 'why, recorded in history' },
  checklist: {
    flag: '--checklist <file>',
    help: "run this checklist on the version first, on top of the stored policy's; refuse to promote when it fails (the result is recorded)",
  },
  force: { flag: '--force', help: 'promote even when a checklist fails (recorded in history as forced)' },
  acks: { flag: '--ack <id>', help: 'sign off a manual checklist item (repeatable)', parse: collect },
  registry: REGISTRY_FLAG,
});

const POLICY = flagSet<PolicyOptions>()({
  require: {
    flag: '--require <alias>',
    help: 'the version must hold or have held this alias first (repeatable)',
    parse: collect,
  },
  checklist: {
    flag: '--checklist <file>',
    help: 'the version must pass this checklist (a relative path is read from the folder each promotion runs in)',
  },
  model: { flag: '--model <name>', help: 'only for this model, on top of the registry-wide policy' },
  clear: { flag: '--clear', help: 'remove the policy' },
  reason: { flag: '--reason <text>', help: 'why, recorded with the change' },
  registry: REGISTRY_FLAG,
});

const COPY = flagSet<CopyOptions>()({
  from: {
    flag: '--from <dir|url>',
    help: 'the registry to copy: a folder or postgres://user@host:5432/db',
    required: true,
  },
  to: {
    flag: '--to <dir|url>',
    help: 'the registry to copy into (a folder is created when missing); models already there are extended, never rewritten',
    required: true,
  },
  dryRun: { flag: '--dry-run', help: 'say what would be copied; change nothing' },
});

const ROLLBACK = flagSet<RollbackOptions>()({
  alias: { flag: '--alias <alias>', help: 'the alias to move back', required: true },
  to: {
    flag: '--to <version>',
    help: 'go to this version instead (one that held the alias before)',
    parse: parsePositiveInt,
  },
  reason: { flag: '--reason <text>', help: 'why, recorded in history' },
  registry: REGISTRY_FLAG,
});

/**
 * A registry subcommand in the one command shape: its flags, table or JSON, and a renderer from
 * report/registry.ts; exit 1 where `failed` says the result is not a clean pass.
 */
function registryCommand<O, R extends object>(
  group: Command,
  name: string,
  description: string,
  flags: FlagSet<object>,
  shape: Pick<CommandShape<O, R>, 'options' | 'run'> & {
    render: (result: R, options: RenderOptions, reports: Reports) => string;
    failed?: (result: R) => boolean;
  },
): Command {
  const cmd = group.command(name).description(description);
  addFlags(cmd, flags);
  addFormatFlags(cmd, ['table', 'json']);
  return cmd.action(
    commandAction<O, R>({
      options: shape.options,
      run: shape.run,
      render: async (result, { render }) => shape.render(result, render, await import('../report/registry.js')),
      exitCode: (result) => (shape.failed?.(result) ? ExitCode.Failure : ExitCode.Ok),
    }),
  );
}

export function addRegistryCommands(program: Command): void {
  const group = program
    .command('registry')
    .description('model registry: immutable versions with sha256, aliases (staging, production...), full history')
    .addHelpText(
      'after',
      `
The registry is a folder (./.mlops by default; --registry DIR or MLOPS_REGISTRY elsewhere, a shared
volume works) or, for a team, a PostgreSQL database (--registry postgres://user@host:5432/db, or
MLOPS_REGISTRY; PG* variables and ~/.pgpass as libpq reads them). Every change is an event in an
append-only history, written under a lock (a lock file, or one transaction with an advisory lock), so
parallel CI jobs are safe. Model references everywhere: a file path, name
(latest non-archived version), name@3, name@production.
${examples([
  'mlops registry register fraud model.onnx --description "gbm v2" --tag team=risk --metric auc=0.91',
  'mlops registry promote fraud@3 --to staging --reason "nightly eval ok"',
  'mlops registry policy production --require staging --checklist mlops.checklist.yml',
  'mlops registry promote fraud@3 --to production',
  'mlops registry rollback fraud --alias production --reason "latency regression"',
  'mlops check fraud@production',
])}`,
    );

  registryCommand(group, 'register', 'validate an ONNX file and store it as the next version of <name>', REGISTER, {
    options: async ([name, file], c): Promise<RegisterOptions> => ({ name, file, ...readFlags(c, REGISTER) }),
    run: async (options) => (await release()).registerModel(options),
    render: (r, o, rep) => rep.renderRegister(r, o),
  })
    .argument('<name>', 'model name: lowercase letters, digits, ".", "_", "-" (not ending in .onnx)')
    .argument('<file>', 'ONNX model file')
    .addHelpText(
      'after',
      examples([
        'mlops registry register fraud model.onnx --alias staging',
        'mlops registry register fraud model.onnx --features-from train.csv --ignore id,label',
        'mlops registry register fraud-int8 model.int8.onnx --parent fraud@3',
      ]),
    );

  registryCommand(
    group,
    'list',
    "registered models, or the versions of one model (exit 1 when a model's history is damaged)",
    REGISTRY_ONLY,
    {
      options: ([name], c): ListOptions => ({ ...readFlags(c, REGISTRY_ONLY), name }),
      run: async (options) => (await registry()).listRegistry(options),
      render: (r, o, rep) => rep.renderList(r, o),
      // A model with a damaged history is listed as damaged, and the listing is not a clean pass.
      failed: (r) => 'damaged' in r && Boolean(r.damaged.length || r.damaged_policies),
    },
  )
    .argument('[name]', 'a model name')
    .addHelpText('after', examples(['mlops registry list', 'mlops registry list fraud --json']));

  registryCommand(group, 'show', 'one version: record, aliases, signature, stored path', REGISTRY_ONLY, {
    options: ([ref], c): ShowOptions => ({ ...readFlags(c, REGISTRY_ONLY), ref }),
    run: async (options) => (await registry()).showVersion(options),
    render: (r, o, rep) => rep.renderShow(r, o),
  })
    .argument('<ref>', 'name, name@3 or name@production')
    .addHelpText(
      'after',
      examples(['mlops registry show fraud@production', 'mlops registry show fraud --json | jq .signature']),
    );

  registryCommand(
    group,
    'history',
    'every event of a model: registrations, alias moves, archives; who, when, why',
    REGISTRY_ONLY,
    {
      options: ([name], c): HistoryOptions => ({ ...readFlags(c, REGISTRY_ONLY), name }),
      run: async (options) => (await registry()).modelHistory(options),
      render: (r, o, rep) => rep.renderHistory(r, o),
    },
  )
    .argument('<name>', 'model name')
    .addHelpText('after', examples(['mlops registry history fraud']));

  registryCommand(
    group,
    'verify',
    're-hash every stored file and compare with its recorded sha256 (exit 1 on any mismatch, missing file or damaged history)',
    REGISTRY_ONLY,
    {
      options: ([name], c): VerifyOptions => ({ ...readFlags(c, REGISTRY_ONLY), name }),
      run: async (options) => (await registry()).verifyRegistry(options),
      render: (r, o, rep) => rep.renderVerify(r, o),
      failed: (r) => !r.passed,
    },
  )
    .argument('[name]', 'only this model')
    .addHelpText('after', examples(['mlops registry verify', 'mlops registry verify fraud --json']));

  registryCommand(group, 'archive', 'hide a version from "latest" (refused while an alias points at it)', ARCHIVE, {
    options: ([ref], c): ArchiveOptions => ({ ...readFlags(c, ARCHIVE), ref }),
    run: async (options) => (await registry()).archiveVersion(options),
    render: (r, _o, rep) => rep.renderArchive(r),
  })
    .argument('<ref>', 'name@version')
    .addHelpText('after', examples(['mlops registry archive fraud@2 --reason "trained on leaked labels"']));

  registryCommand(group, 'path', 'print the stored file of a version (sha256 verified), for scripts', REGISTRY_ONLY, {
    options: ([ref], c): ShowOptions => ({ ...readFlags(c, REGISTRY_ONLY), ref, verify: true }),
    run: async (options) => (await registry()).showVersion(options),
    render: (r) => `${r.path}\n`,
  })
    .argument('<ref>', 'name, name@3 or name@production')
    .addHelpText('after', examples(['python serve.py --model "$(mlops registry path fraud@production)"']));

  registryCommand(
    group,
    'promote',
    'point an alias at a version (any alias name: staging, production, canary...)',
    PROMOTE,
    {
      options: async ([ref], c): Promise<PromoteOptions> => ({ ref, ...readFlags(c, PROMOTE) }),
      run: async (options) => (await release()).promote(options),
      render: (r, o, rep) => rep.renderAliasMove(r, o),
    },
  )
    .argument('<ref>', 'name@version')
    .addHelpText(
      'after',
      examples([
        'mlops registry promote fraud@3 --to staging',
        'mlops registry promote fraud@3 --to production --require staging --reason "A/B ok"',
        'mlops registry promote fraud@3 --to production --checklist mlops.checklist.yml',
      ]),
    );

  registryCommand(
    group,
    'policy',
    'the gates every move of an alias must pass (stored in the registry): show, set or clear them',
    POLICY,
    {
      options: async ([alias], c): Promise<PolicyOptions> => ({ alias, ...readFlags(c, POLICY) }),
      run: async (options) => (await release()).aliasPolicy(options),
      render: (r, o, rep) => rep.renderPolicy(r, o),
    },
  )
    .argument('[alias]', 'the alias (e.g. production); none: every policy')
    .addHelpText(
      'after',
      `
A policy replaces the previous one for the same alias (and --model); every change is recorded with who
and when. promote and register --alias obey it; a rollback to a version that held the alias does not.
${examples(['mlops registry policy production --require staging --checklist mlops.checklist.yml --reason "release process"', 'mlops registry policy production', 'mlops registry policy production --model fraud --require canary', 'mlops registry policy production --clear'])}`,
    );

  registryCommand(
    group,
    'rollback',
    'move an alias back to where it pointed before its last move (repeat to go further back)',
    ROLLBACK,
    {
      options: ([name], c): RollbackOptions => ({ name, ...readFlags(c, ROLLBACK) }),
      run: async (options) => (await registry()).rollback(options),
      render: (r, o, rep) => rep.renderAliasMove(r, o),
    },
  )
    .argument('<name>', 'model name')
    .addHelpText(
      'after',
      examples([
        'mlops registry rollback fraud --alias production --reason "p95 latency doubled"',
        'mlops registry rollback fraud --alias production --to 2',
      ]),
    );

  addCopyCommand(group);

  registryCommand(
    group,
    'migrate',
    "upgrade a PostgreSQL registry's schema to this release (serialized: safe to run from several jobs)",
    REGISTRY_ONLY,
    {
      options: (_args, c): MigrateOptions => ({ ...readFlags(c, REGISTRY_ONLY) }),
      run: async (options) => (await registry()).migrateRegistry(options),
      render: (r, _o, rep) => rep.renderMigrate(r),
    },
  ).addHelpText('after', examples(['MLOPS_REGISTRY=postgres://release@db:5432/mlops mlops registry migrate']));

  addWatchCommand(group);
}

/** `registry copy`: its own action, since refused models go to stderr as errors and make the exit code 2. */
function addCopyCommand(group: Command): void {
  const cmd = group
    .command('copy')
    .description(
      'copy a registry with its full history, folder <-> PostgreSQL (backup, restore, merge); running it again copies only what is new',
    )
    .argument('[names...]', 'only these models (the alias policies are always copied)');
  addFlags(cmd, COPY);
  addFormatFlags(cmd, ['table', 'json']);
  cmd.addHelpText(
    'after',
    `
A model already in the target is extended when its history there is the start of the source's; when the
two histories differ it is refused (exit 2, naming the model and the first differing event) and the
other models are still copied. Each version is stored with its register event in one step, so an
interrupted copy leaves a consistent registry; run it again to finish.
${examples([
  'mlops registry copy --from .mlops --to postgres://release@db:5432/mlops',
  'mlops registry copy --from postgres://backup@db:5432/mlops --to /backups/mlops-$(date +%F)',
  'mlops registry copy fraud --from /mnt/old-registry --to .mlops --dry-run',
])}`,
  );
  cmd.action(
    commandAction<CopyOptions, Awaited<ReturnType<Registry['copyRegistry']>>>({
      options: ([names], c): CopyOptions => ({ ...readFlags(c, COPY), names: names as unknown as string[] }),
      run: async (options) => (await registry()).copyRegistry(options),
      render: async (result, { render }) => (await import('../report/registry-copy.js')).renderCopy(result, render),
      write: async (text, result) => {
        for (const r of result.refused)
          process.stderr.write(`error: ${phraseForCli(r.message)}\n${r.hint ? `hint: ${phraseForCli(r.hint)}\n` : ''}`);
        return text;
      },
      exitCode: (result) => (result.refused.length ? ExitCode.Usage : ExitCode.Ok),
    }),
  );
}
