/** `mlops checklist`: declarations only; the work is in src/checklist/. */
import type { Command } from 'commander';
import { ExitCode, MlopsError } from '../util/errors.js';
import type { ChecklistOptions } from '../checklist/index.js';
import { collect, examples, parseOutputPath } from './parsers.js';
import { addFlags, flagSet, readFlags, REGISTRY_FLAG } from './flags.js';
import { addFormatFlags, chosenFormat } from './format.js';
import { commandAction } from './shape.js';

const FLAGS = flagSet<ChecklistOptions>()({
  config: { flag: '--config <file>', help: 'checklist config, YAML or JSON', default: 'mlops.checklist.yml' },
  model: { flag: '--model <ref>', help: "the model to check (overrides the config's model)" },
  failOn: {
    flag: '--fail-on <level>',
    help: 'exit 1 when a check of this severity or above does not pass',
    choices: ['error', 'warn'],
    default: 'error',
  },
  acks: { flag: '--ack <id>', help: 'sign off a manual check (repeatable; recorded in the report)', parse: collect },
  registry: REGISTRY_FLAG,
});

/** Where the report goes: the CLI's own setting. */
interface ChecklistOutput {
  output?: string;
}

const OUTPUT = flagSet<ChecklistOutput>()({
  output: {
    flag: '--output <file>',
    help: 'write the report to a file (written atomically) instead of stdout; - is stdout',
    parse: parseOutputPath,
  },
});

interface InitFlags {
  output?: string;
  force?: boolean;
}

const INIT = flagSet<InitFlags>()({
  output: { flag: '--output <file>', help: 'where (default mlops.checklist.yml; - prints it)', parse: parseOutputPath },
  force: { flag: '--force', help: 'overwrite an existing file' },
});

export function addChecklistCommand(program: Command): void {
  const checklist = program
    .command('checklist')
    .description(
      'run a deployment checklist (model, performance, quality, quantization, drift, registry, manual items) for CI',
    );
  addFlags(checklist, FLAGS, OUTPUT);
  addFormatFlags(checklist, ['table', 'json', 'junit', 'markdown'], { json: 'same as --format json' })
    .addHelpText(
      'after',
      `
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
`,
    )
    .action(
      commandAction({
        options: (_args, c): ChecklistOptions => readFlags(c, FLAGS),
        run: async (options, c) => {
          const { output } = readFlags(c, OUTPUT);
          if (output && output !== '-') {
            const { guardOutputs } = await import('../util/output-guard.js');
            const { registryRoot } = await import('../registry/folder-store.js');
            const { checklistInputs, loadConfig } = await import('../checklist/config.js');
            const config = options.config ?? 'mlops.checklist.yml';
            const inputs = checklistInputs(await loadConfig(config), config);
            await guardOutputs(
              [{ path: output, what: '--output' }],
              [...inputs, ...(options.model ? [{ path: options.model, what: 'the model' }] : [])],
              { registries: [registryRoot(options.registry)] },
            );
          }
          return (await import('../checklist/index.js')).runChecklist(options);
        },
        render: async (result, { format, render }) => {
          const report = await import('../report/checklist.js');
          return format === 'junit'
            ? report.renderChecklistJunit(result)
            : format === 'markdown'
              ? report.renderChecklistMarkdown(result)
              : report.renderChecklistTable(result, render);
        },
        exitCode: (result) => (result.passed ? ExitCode.Ok : ExitCode.Failure),
        // --output writes the rendered report (in any format, JSON included) to a file and says so on stderr.
        write: async (text, result, c) => {
          const { output } = readFlags(c, OUTPUT);
          if (!output || output === '-') return text;
          const { writeFileAtomic } = await import('../util/fs-atomic.js');
          await writeFileAtomic(output, text);
          process.stderr.write(
            `checklist: ${result.counts.pass} passed, ${result.counts.fail} failed, ${result.counts.error} could not run, ${result.counts.pending} pending -> ${output}\n`,
          );
          return '';
        },
      }),
    );

  const init = checklist.command('init').description('write a commented starter checklist');
  addFlags(init, INIT)
    .addHelpText(
      'after',
      examples(['mlops checklist init', 'mlops checklist init --output ci/release.checklist.yml --force']),
    )
    .action(
      commandAction({
        // `checklist` itself has --output too; commander hands the value to whichever parses it first.
        options: (_args, c) => {
          // `checklist`'s --format/--json reach init too (commander); init prints YAML or nothing, so refuse them.
          const format = c.parent ? chosenFormat(c.parent) : 'table';
          if (format !== 'table')
            throw new MlopsError(
              'OPTIONS_CONFLICT',
              `checklist init writes a starter YAML file; it has no ${format} output`,
              {
                hint: '--format and --json choose the report of mlops checklist; init --output - prints the YAML',
              },
            );
          return {
            ...readFlags(c, INIT),
            output:
              readFlags(c, INIT).output ??
              (c.parent ? readFlags(c.parent, OUTPUT).output : undefined) ??
              'mlops.checklist.yml',
          };
        },
        run: async ({ output, force }) => {
          const { STARTER_CONFIG } = await import('../checklist/starter.js');
          if (output === '-') return { config: STARTER_CONFIG };
          const { guardOutputs } = await import('../util/output-guard.js');
          await guardOutputs([{ path: output, what: '--output' }], []);
          const { existsSync } = await import('node:fs');
          if (existsSync(output) && !force)
            throw new MlopsError('OUTPUT_EXISTS', `${output} already exists`, {
              hint: 'pass --force to overwrite it, or --output another file',
            });
          const { writeFileAtomic } = await import('../util/fs-atomic.js');
          await writeFileAtomic(output, STARTER_CONFIG);
          process.stderr.write(`wrote ${output}: edit the model, paths and thresholds, then run mlops checklist\n`);
          return { config: '' };
        },
        render: (result) => result.config,
      }),
    );
}
