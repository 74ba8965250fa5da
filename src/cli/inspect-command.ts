/** `mlops inspect`: declarations only; the work is in src/check/inspect.ts. */
import type { Command } from 'commander';
import { ExitCode } from '../util/errors.js';
import { renderOptions, runCommand, type GlobalFlags } from './run.js';
import { examples } from './parsers.js';

export function addInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('summarize a model: IR version, opsets, inputs and outputs, operators, parameters, size, sha256, metadata')
    .argument('<model>', 'ONNX model file or registry reference (name, name@3, name@production)')
    .option('--registry <dir>', 'registry folder for references (default: $MLOPS_REGISTRY, else ./.mlops)')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', examples(['mlops inspect model.onnx', 'mlops inspect model.onnx --json | jq .inputs']))
    .action(async (model: string, flags: { json?: boolean; registry?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalFlags>();
      await runCommand(globals, async () => {
        const { inspectModel } = await import('../check/inspect.js');
        const result = await inspectModel({ model, registry: flags.registry });
        if (flags.json) return { stdout: (await import('../report/json.js')).renderJson(result), exitCode: ExitCode.Ok };
        return { stdout: (await import('../report/inspect.js')).renderInspect(result, renderOptions(globals)), exitCode: ExitCode.Ok };
      });
    });
}
