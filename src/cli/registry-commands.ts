/** `mlops registry ...`: declarations only; the work is in src/registry/ (and src/release/ for the gated writes). */
import type { Command } from 'commander';
import { ExitCode } from '../util/errors.js';
import { renderOptions, runCommand, type GlobalFlags } from './run.js';
import { collect, examples, parseKeyNumber, parseKeyValue, parseList, parsePositiveInt } from './parsers.js';
import type { RenderOptions } from '../report/style.js';

interface CommonFlags {
  json?: boolean;
  registry?: string;
}

const REGISTRY_OPTION: [string, string] = ['--registry <dir>', 'registry folder (default: $MLOPS_REGISTRY, else ./.mlops)'];

/** Run a registry function and print its result as JSON or through a renderer. */
type Reports = typeof import('../report/registry.js');

function respond<T extends object>(cmd: Command, work: (flags: CommonFlags) => Promise<T>, render: (result: T, options: RenderOptions, reports: Reports) => string, exitCode: (result: T) => 0 | 1 = () => 0) {
  const flags = cmd.optsWithGlobals<CommonFlags & GlobalFlags>();
  return runCommand(flags, async () => {
    const result = await work(flags);
    const stdout = flags.json ? (await import('../report/json.js')).renderJson(result) : render(result, renderOptions(flags), await import('../report/registry.js'));
    return { stdout, exitCode: exitCode(result) === 0 ? ExitCode.Ok : ExitCode.Failure };
  });
}

const registry = () => import('../registry/index.js');
/** register, promote and policy with their gates (model checks, checklists): loaded only by those commands. */
const release = () => import('../release/index.js');

export function addRegistryCommands(program: Command): void {
  const group = program
    .command('registry')
    .description('model registry: immutable versions with sha256, aliases (staging, production...), full history')
    .addHelpText('after', `
The registry is a folder (./.mlops by default; --registry DIR or MLOPS_REGISTRY elsewhere, a shared
volume works). Every change is an event in an append-only history; writers take a lock file with
stale-lock recovery, so parallel CI jobs are safe. Model references everywhere: a file path, name
(latest non-archived version), name@3, name@production.
${examples([
  'mlops registry register fraud model.onnx --description "gbm v2" --tag team=risk --metric auc=0.91',
  'mlops registry promote fraud@3 --to staging --reason "nightly eval ok"',
  'mlops registry policy production --require staging --checklist mlops.checklist.yml',
  'mlops registry promote fraud@3 --to production',
  'mlops registry rollback fraud --alias production --reason "latency regression"',
  'mlops check fraud@production',
])}`);

  group
    .command('register')
    .description('validate an ONNX file and store it as the next version of <name>')
    .argument('<name>', 'model name: lowercase letters, digits, ".", "_", "-" (not ending in .onnx)')
    .argument('<file>', 'ONNX model file')
    .option('--description <text>', 'what this version is')
    .option('--tag <key=value>', 'a tag (repeatable)', parseKeyValue)
    .option('--metric <name=number>', 'a metric (repeatable)', parseKeyNumber)
    .option('--alias <alias>', "point this alias at the new version (through the alias's policy, like promote)")
    .option('--parent <ref>', 'the version this one derives from (name@version)')
    .option('--git-commit <sha>', 'source commit (default: from the CI environment)')
    .option('--allow-duplicate', 'register even if identical bytes are already a version')
    .option('--reason <text>', 'why, recorded in history')
    .option('--features <cols>', 'record the feature names, in the order of the model input (tag "features"): tables are then mapped by name', parseList)
    .option('--features-from <csv>', 'record the feature names from this CSV header (a training file), less --ignore')
    .option('--ignore <cols>', 'with --features-from: header columns that are not features (id, label)', parseList)
    .option(...REGISTRY_OPTION)
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['mlops registry register fraud model.onnx --alias staging', 'mlops registry register fraud model.onnx --features-from train.csv --ignore id,label', 'mlops registry register fraud-int8 model.int8.onnx --parent fraud@3']))
    .action((name: string, file: string, f: { description?: string; tag?: Record<string, string>; metric?: Record<string, number>; alias?: string; parent?: string; gitCommit?: string; allowDuplicate?: boolean; reason?: string; features?: string[]; featuresFrom?: string; ignore?: string[] }, cmd: Command) =>
      respond(cmd, async (flags) => (await release()).registerModel({
        registry: flags.registry, name, file, description: f.description, tags: f.tag, metrics: f.metric, alias: f.alias,
        parent: f.parent, gitCommit: f.gitCommit, allowDuplicate: f.allowDuplicate, reason: f.reason,
        features: f.features, featuresFrom: f.featuresFrom, ignore: f.ignore,
      }), (r, o, rep) => rep.renderRegister(r, o)));

  group
    .command('list')
    .description('registered models, or the versions of one model (exit 1 when a model\'s history is damaged)')
    .argument('[name]', 'a model name')
    .option(...REGISTRY_OPTION)
    .option('--json', 'print as JSON')
    .addHelpText('after', examples(['mlops registry list', 'mlops registry list fraud --json']))
    .action((name: string | undefined, _f: object, cmd: Command) =>
      // A model with a damaged history is listed as damaged, and the listing is not a clean pass.
      respond(cmd, async (flags) => (await registry()).listRegistry({ registry: flags.registry, name }), (r, o, rep) => rep.renderList(r, o), (r) => ('damaged' in r && (r.damaged.length || r.damaged_policies) ? 1 : 0)));

  group
    .command('show')
    .description('one version: record, aliases, signature, stored path')
    .argument('<ref>', 'name, name@3 or name@production')
    .option(...REGISTRY_OPTION)
    .option('--json', 'print as JSON')
    .addHelpText('after', examples(['mlops registry show fraud@production', 'mlops registry show fraud --json | jq .signature']))
    .action((ref: string, _f: object, cmd: Command) =>
      respond(cmd, async (flags) => (await registry()).showVersion({ registry: flags.registry, ref }), (r, o, rep) => rep.renderShow(r, o)));

  group
    .command('history')
    .description('every event of a model: registrations, alias moves, archives; who, when, why')
    .argument('<name>', 'model name')
    .option(...REGISTRY_OPTION)
    .option('--json', 'print as JSON')
    .addHelpText('after', examples(['mlops registry history fraud']))
    .action((name: string, _f: object, cmd: Command) =>
      respond(cmd, async (flags) => (await registry()).modelHistory({ registry: flags.registry, name }), (r, o, rep) => rep.renderHistory(r, o)));

  group
    .command('verify')
    .description('re-hash every stored file and compare with its recorded sha256 (exit 1 on any mismatch, missing file or damaged history)')
    .argument('[name]', 'only this model')
    .option(...REGISTRY_OPTION)
    .option('--json', 'print as JSON')
    .addHelpText('after', examples(['mlops registry verify', 'mlops registry verify fraud --json']))
    .action((name: string | undefined, _f: object, cmd: Command) =>
      respond(cmd, async (flags) => (await registry()).verifyRegistry({ registry: flags.registry, name }), (r, o, rep) => rep.renderVerify(r, o), (r) => (r.passed ? 0 : 1)));

  group
    .command('archive')
    .description('hide a version from "latest" (refused while an alias points at it)')
    .argument('<ref>', 'name@version')
    .option('--reason <text>', 'why, recorded in history')
    .option(...REGISTRY_OPTION)
    .option('--json', 'print as JSON')
    .addHelpText('after', examples(['mlops registry archive fraud@2 --reason "trained on leaked labels"']))
    .action((ref: string, f: { reason?: string }, cmd: Command) =>
      respond(cmd, async (flags) => (await registry()).archiveVersion({ registry: flags.registry, ref, reason: f.reason }), (r, _o, rep) => rep.renderArchive(r)));

  group
    .command('path')
    .description('print the stored file of a version (sha256 verified), for scripts')
    .argument('<ref>', 'name, name@3 or name@production')
    .option(...REGISTRY_OPTION)
    .option('--json', 'print as JSON')
    .addHelpText('after', examples(['python serve.py --model "$(mlops registry path fraud@production)"']))
    .action((ref: string, _f: object, cmd: Command) =>
      respond(cmd, async (flags) => (await registry()).showVersion({ registry: flags.registry, ref, verify: true }), (r) => `${r.path}\n`));

  group
    .command('promote')
    .description('point an alias at a version (any alias name: staging, production, canary...)')
    .argument('<ref>', 'name@version')
    .requiredOption('--to <alias>', 'the alias to move')
    .option('--require <alias>', 'refuse unless the version holds or has held this alias (e.g. staging before production), on top of the stored policy')
    .option('--reason <text>', 'why, recorded in history')
    .option('--checklist <file>', 'run this checklist on the version first, on top of the stored policy\'s; refuse to promote when it fails (the result is recorded)')
    .option('--force', 'promote even when a checklist fails (recorded in history as forced)')
    .option('--ack <id>', 'sign off a manual checklist item (repeatable)', collect)
    .option(...REGISTRY_OPTION)
    .option('--json', 'print as JSON')
    .addHelpText('after', examples(['mlops registry promote fraud@3 --to staging', 'mlops registry promote fraud@3 --to production --require staging --reason "A/B ok"', 'mlops registry promote fraud@3 --to production --checklist mlops.checklist.yml']))
    .action((ref: string, f: { to: string; require?: string; reason?: string; checklist?: string; force?: boolean; ack?: string[] }, cmd: Command) =>
      respond(cmd, async (flags) => (await release()).promote({
        registry: flags.registry, ref, to: f.to, require: f.require, reason: f.reason, checklist: f.checklist, acks: f.ack, force: f.force,
      }), (r, o, rep) => rep.renderAliasMove(r, o)));

  group
    .command('policy')
    .description('the gates every move of an alias must pass (stored in the registry): show, set or clear them')
    .argument('[alias]', 'the alias (e.g. production); none: every policy')
    .option('--require <alias>', 'the version must hold or have held this alias first (repeatable)', collect)
    .option('--checklist <file>', 'the version must pass this checklist (a relative path is read from the folder each promotion runs in)')
    .option('--model <name>', 'only for this model, on top of the registry-wide policy')
    .option('--clear', 'remove the policy')
    .option('--reason <text>', 'why, recorded with the change')
    .option(...REGISTRY_OPTION)
    .option('--json', 'print as JSON')
    .addHelpText('after', `
A policy replaces the previous one for the same alias (and --model); every change is recorded with who
and when. promote and register --alias obey it; a rollback to a version that held the alias does not.
${examples(['mlops registry policy production --require staging --checklist mlops.checklist.yml --reason "release process"', 'mlops registry policy production', 'mlops registry policy production --model fraud --require canary', 'mlops registry policy production --clear'])}`)
    .action((alias: string | undefined, f: { require?: string[]; checklist?: string; model?: string; clear?: boolean; reason?: string }, cmd: Command) =>
      respond(cmd, async (flags) => (await release()).aliasPolicy({
        registry: flags.registry, alias, model: f.model, require: f.require, checklist: f.checklist, clear: f.clear, reason: f.reason,
      }), (r, o, rep) => rep.renderPolicy(r, o)));

  group
    .command('rollback')
    .description('move an alias back to where it pointed before its last move (repeat to go further back)')
    .argument('<name>', 'model name')
    .requiredOption('--alias <alias>', 'the alias to move back')
    .option('--to <version>', 'go to this version instead (one that held the alias before)', parsePositiveInt)
    .option('--reason <text>', 'why, recorded in history')
    .option(...REGISTRY_OPTION)
    .option('--json', 'print as JSON')
    .addHelpText('after', examples(['mlops registry rollback fraud --alias production --reason "p95 latency doubled"', 'mlops registry rollback fraud --alias production --to 2']))
    .action((name: string, f: { alias: string; to?: number; reason?: string }, cmd: Command) =>
      respond(cmd, async (flags) => (await registry()).rollback({ registry: flags.registry, name, alias: f.alias, to: f.to, reason: f.reason }), (r, o, rep) => rep.renderAliasMove(r, o)));
}
