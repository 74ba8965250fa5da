/**
 * Whether a file may become a registry version, and what the registry records
 * about it: it must decode, be well formed and load. The registry stores the
 * facts; deciding them needs the model, so it is done here, above both.
 */
import path from 'node:path';
import { MlopsError } from '../util/errors.js';
import { hasExternalData } from '../onnx/load-model.js';
import { loadModel } from '../models/load-model.js';
import type { ModelFacts } from '../registry/types.js';
import { validateName, validateNewModelName } from '../registry/names.js';
import { registerVersion, type RegisterOptions, type RegisterResult } from '../registry/register.js';
import { checkStructure } from './structure.js';
import { summarizeModel } from './inspect.js';

/** Load `file` (an absolute path) and refuse what the registry must not store; the facts to record otherwise. */
export async function registrableModel(file: string): Promise<ModelFacts & { file: string }> {
  const loaded = await loadModel(file);
  if (hasExternalData(loaded.model)) {
    throw new MlopsError(
      'REGISTRY_EXTERNAL_DATA',
      `${file} keeps its weights in external data files, which the registry does not store`,
      {
        hint: 'save it as a single file first: onnx.save(onnx.load(path), out, save_as_external_data=False) (models up to 2 GiB)',
      },
    );
  }
  const errors = checkStructure(loaded.model).filter((p) => p.severity === 'error');
  if (errors.length) {
    throw new MlopsError(
      'REGISTRY_INVALID_MODEL',
      `${file} is not a valid ONNX model: ${errors[0].message}${errors.length > 1 ? ` (and ${errors.length - 1} more problems)` : ''}`,
      {
        hint: `run mlops check ${file} for the full report`,
      },
    );
  }
  const { openSession } = await import('../runtime/session.js');
  const session = await openSession(loaded);
  await session.release();
  const summary = summarizeModel(loaded);
  return {
    signature: { inputs: summary.inputs, outputs: summary.outputs },
    producer: [summary.producer_name, summary.producer_version].filter(Boolean).join(' '),
    ir_version: summary.ir_version,
    opsets: Object.fromEntries(summary.opsets.map((o) => [o.domain, o.version])),
    // The .onnx file itself: a folder in the ONNX test-data layout names its model.onnx.
    file: loaded.path,
  };
}

/**
 * Check the file, then store it as the next version. A move of `options.alias`
 * through a checklist needs `options.checklists`: src/release/ registerModel
 * passes it (quantize --register moves no alias).
 */
export async function registerCheckedModel(options: RegisterOptions): Promise<RegisterResult> {
  // Names are checked before the model is read, as they always were.
  validateNewModelName(options.name);
  if (options.alias) validateName(options.alias, 'alias');
  const { file, ...model } = await registrableModel(path.resolve(options.cwd ?? process.cwd(), options.file));
  return registerVersion({ ...options, file, model });
}
