import { randomBytes, randomFillSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeModelBytes, encodeModel } from '../../src/onnx/proto.js';
import { fixture, tempDir } from '../helpers.js';

export { tempDir };

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

/** A valid ONNX model (the small MLP) carrying an unused initializer of `bytes` random bytes. */
export function paddedModel(bytes: number, dir = tempDir('mlops-big-')): string {
  const model = decodeModelBytes(readFileSync(fixture('models', 'mlp-dynamo.onnx')));
  const raw = randomFillSync(Buffer.allocUnsafe(bytes));
  model.graph?.initializer?.push({ name: 'padding', dataType: 2, dims: [bytes], rawData: raw } as never);
  const file = path.join(dir, `padded-${bytes}-${randomBytes(4).toString('hex')}.onnx`);
  writeFileSync(file, encodeModel(model));
  return file;
}
