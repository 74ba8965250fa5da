/** `mlops checklist`: declarations only; the work is in src/checklist/. */
import { Option, type Command } from 'commander';
import { ExitCode, MlopsError } from '../util/errors.js';
import { renderOptions, runCommand, type GlobalFlags } from './run.js';
import { collect, parseOutputPath } from './parsers.js';

export function addChecklistCommand(program: Command): void {
  const checklist = program
    .command('checklist')
    .description('run a deployment checklist (model, performance, quality, quantization, drift, registry, manual items) for CI')
    .option('--config <file>', 'checklist config, YAML or JSON', 'mlops.checklist.yml')
    .option('--model <ref>', "the model to check (overrides the config's model)")
    .addOption(new Option('--format <format>', 'report format').choices(['table', 'json', 'junit', 'markdown']).default('table'))
    .option('--output <file>', 'write the report to a file (written atomically) instead of stdout; - is stdout', parseOutputPath)
    .addOption(new Option('--fail-on <level>', 'exit 1 when a check of this severity or above does not pass').choices(['error', 'warn']).default('error'))
    .option('--ack <id>', 'sign off a manual check (repeatable; recorded in the report)', collect)
    .option('--registry <dir>', 'registry folder (default: $MLOPS_REGISTRY, else ./.mlops)')
    .addOption(new Option('--json', 'same as --format json').conflicts('format'))
    .addHelpText('after', `
Every check runs even when others fail; a check that cannot run (a missing file, a data file
without rows) is reported as failed with its reason. Exit 0 when nothing at or above --fail-on
fails, errors or is pending and at least one check passed; 1 otherwise; 2 for a bad config (errors
name the path: checks[3].max: expected a positive number). In JUnit every check that fails the run
is a <failure> or an <error>; only non-blocking warnings are <skipped>.

Examples:
  $ mlops checklist init
  $ mlops checklist --model fraud@7 --format junit --output checklist.xml
  $ mlops checklist --format markdown >> "$GITHUB_STEP_SUMMARY"
  $ mlops checklist --ack privacy-review --fail-on warn
`)
    .action(async (f: { config: string; model?: string; format: string; output?: string; failOn: 'error' | 'warn'; ack?: string[]; registry?: string; json?: boolean }, cmd: Command) => {
      // --format json promises a JSON document on stdout, failures included, as --json does.
      const globals = { ...cmd.optsWithGlobals<GlobalFlags>(), ...(f.format === 'json' ? { json: true } : {}) };
      await runCommand(globals, async () => {
        const { runChecklist } = await import('../checklist/index.js');
        const report = await import('../report/checklist.js');
        if (f.output === '-') f.output = undefined;
        if (f.output) {
          const { guardOutputs } = await import('../util/output-guard.js');
          const { registryRoot } = await import('../registry/folder-store.js');
          const { checklistInputs, loadConfig } = await import('../checklist/config.js');
          const inputs = checklistInputs(await loadConfig(f.config), f.config);
          await guardOutputs([{ path: f.output, what: '--output' }], [...inputs, ...(f.model ? [{ path: f.model, what: 'the model' }] : [])], { registries: [registryRoot(f.registry)] });
        }
        const result = await runChecklist({ config: f.config, model: f.model, registry: f.registry, acks: f.ack, failOn: f.failOn });
        const format = f.json ? 'json' : f.format;
        const text = format === 'json' ? (await import('../report/json.js')).renderJson(result)
          : format === 'junit' ? report.renderChecklistJunit(result)
          : format === 'markdown' ? report.renderChecklistMarkdown(result)
          : report.renderChecklistTable(result, renderOptions(globals));
        const exitCode = result.passed ? ExitCode.Ok : ExitCode.Failure;
        if (f.output) {
          const { writeFileAtomic } = await import('../util/fs-atomic.js');
          await writeFileAtomic(f.output, text);
          process.stderr.write(`checklist: ${result.counts.pass} passed, ${result.counts.fail} failed, ${result.counts.error} could not run, ${result.counts.pending} pending -> ${f.output}\n`);
          return { stdout: '', exitCode };
        }
        return { stdout: text, exitCode };
      });
    });

  checklist
    .command('init')
    .description('write a commented starter checklist')
    .option('--output <file>', 'where (default mlops.checklist.yml; - prints it)', parseOutputPath)
    .option('--force', 'overwrite an existing file')
    .addHelpText('after', '\nExamples:\n  $ mlops checklist init\n  $ mlops checklist init --output ci/release.checklist.yml --force\n')
    .action(async (_own: object, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalFlags & { output?: string; force?: boolean }>();
      // `checklist` itself has --output too; commander hands the value to whichever parses it first.
      const f = { output: globals.output ?? 'mlops.checklist.yml', force: globals.force };
      await runCommand(globals, async () => {
        const { STARTER_CONFIG } = await import('../checklist/starter.js');
        if (f.output === '-') return { stdout: STARTER_CONFIG, exitCode: ExitCode.Ok };
        const { guardOutputs } = await import('../util/output-guard.js');
        await guardOutputs([{ path: f.output, what: '--output' }], []);
        const { existsSync } = await import('node:fs');
        if (existsSync(f.output) && !f.force) throw new MlopsError('OUTPUT_EXISTS', `${f.output} already exists`, { hint: 'pass --force to overwrite it, or --output another file' });
        const { writeFileAtomic } = await import('../util/fs-atomic.js');
        await writeFileAtomic(f.output, STARTER_CONFIG);
        process.stderr.write(`wrote ${f.output}: edit the model, paths and thresholds, then run mlops checklist\n`);
        return { stdout: '', exitCode: ExitCode.Ok };
      });
    });
}
