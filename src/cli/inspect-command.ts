/** `mlops inspect`: declarations only; the work is in src/check/inspect.ts. */
import type { Command } from 'commander';
import type { InspectOptions } from '../check/inspect.js';
import { examples } from './parsers.js';
import { addFlags, flagSet, readFlags, REGISTRY_FLAG } from './flags.js';
import { addFormatFlags } from './format.js';
import { commandAction } from './shape.js';

const FLAGS = flagSet<InspectOptions>()({ registry: REGISTRY_FLAG });

export function addInspectCommand(program: Command): void {
  const cmd = program
    .command('inspect')
    .description(
      'summarize a model: IR version, opsets, inputs and outputs, operators, parameters, size, sha256, metadata',
    )
    .argument('<model>', 'ONNX model file or registry reference (name, name@3, name@production)');
  addFlags(cmd, FLAGS);
  addFormatFlags(cmd, ['table', 'json'], { json: 'print the summary as JSON (same as --format json)' })
    .addHelpText('after', examples(['mlops inspect model.onnx', 'mlops inspect model.onnx --json | jq .inputs']))
    .action(
      commandAction({
        options: ([model], c): InspectOptions => ({ model, ...readFlags(c, FLAGS) }),
        run: async (options) => (await import('../check/inspect.js')).inspectModel(options),
        render: async (result, { render }) => (await import('../report/inspect.js')).renderInspect(result, render),
      }),
    );
}
