/** ONNX test-data sets: `test_data_set_N/input_K.pb` and `output_K.pb` (one TensorProto each). */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { decodeTensorBytes } from '../onnx/proto.js';
import { tensorFromProto, type Tensor } from '../onnx/tensor.js';
import { MlopsError, errorMessage, isMlopsError } from '../util/errors.js';

export interface TestDataSet {
  name: string;
  dir: string;
  inputs: Tensor[];
  outputs: Tensor[];
}

export interface TestDataLocation {
  /** model.onnx in the test-data folder, when there is one. */
  model?: string;
  sets: TestDataSet[];
}

const numbered = (prefix: string) => (name: string) => new RegExp(`^${prefix}_(\\d+)\\.pb$`).exec(name);

async function readTensors(dir: string, files: string[], prefix: string): Promise<Tensor[]> {
  const matched = files
    .map((f) => [f, numbered(prefix)(f)] as const)
    .filter(([, m]) => m)
    .sort((x, y) => Number(x[1]![1]) - Number(y[1]![1]));
  const tensors: Tensor[] = [];
  for (const [file] of matched) {
    const full = path.join(dir, file);
    try {
      tensors.push(tensorFromProto(decodeTensorBytes(await readFile(full))));
    } catch (err) {
      throw new MlopsError(
        'TEST_DATA_INVALID',
        `${full} is not a valid serialized TensorProto: ${isMlopsError(err) ? err.message : errorMessage(err)}`,
        {
          hint: 'each .pb file must hold one onnx.TensorProto (numpy_helper.from_array(x).SerializeToString())',
        },
      );
    }
  }
  return tensors;
}

async function readSet(dir: string): Promise<TestDataSet> {
  const files = await readdir(dir);
  return {
    name: path.basename(dir),
    dir,
    inputs: await readTensors(dir, files, 'input'),
    outputs: await readTensors(dir, files, 'output'),
  };
}

/** Read every set under `dir` (or `dir` itself when it holds input_K.pb files). */
export async function readTestData(dir: string): Promise<TestDataLocation> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new MlopsError('TEST_DATA_NOT_FOUND', `test data folder ${dir} does not exist`, {
      hint: 'pass a folder holding test_data_set_N/input_K.pb and output_K.pb',
    });
  }
  const entries = await readdir(dir, { withFileTypes: true });
  const setDirs = entries
    .filter((e) => e.isDirectory() && /^test_data_set_\d+$/.test(e.name))
    .map((e) => e.name)
    .sort((a, b) => Number(a.split('_').pop()) - Number(b.split('_').pop()));
  const sets = setDirs.length
    ? await Promise.all(setDirs.map((d) => readSet(path.join(dir, d))))
    : [await readSet(dir)];
  const usable = sets.filter((s) => s.inputs.length > 0);
  if (usable.length === 0) {
    throw new MlopsError('TEST_DATA_NOT_FOUND', `no test data in ${dir}: expected test_data_set_N/input_K.pb files`, {
      hint: 'the layout is <dir>/test_data_set_0/input_0.pb, output_0.pb (one TensorProto per file)',
    });
  }
  for (const set of usable) {
    if (set.outputs.length === 0) {
      throw new MlopsError('TEST_DATA_INVALID', `${set.dir} has inputs but no output_K.pb files to compare with`);
    }
  }
  const model = entries.some((e) => e.isFile() && e.name === 'model.onnx') ? path.join(dir, 'model.onnx') : undefined;
  return { model, sets: usable };
}
