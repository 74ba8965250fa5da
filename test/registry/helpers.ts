import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeModelBytes, encodeModel } from '../../src/onnx/proto.js';
import { fixture } from '../helpers.js';

export function tempDir(prefix = 'mlops-reg-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Valid, distinct model files: the small dynamo MLP with a different doc_string each. */
export function modelVariants(dir: string, count: number): string[] {
  const base = readFileSync(fixture('models', 'mlp-dynamo.onnx'));
  return Array.from({ length: count }, (_, i) => {
    const model = decodeModelBytes(base);
    model.docString = `variant ${i}`;
    const file = path.join(dir, `variant-${i}.onnx`);
    writeFileSync(file, encodeModel(model));
    return file;
  });
}
