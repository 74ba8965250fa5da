/**
 * Quantization benchmark: the MLP fixture (with softmax) dynamic, against
 * onnxruntime's Python quantizer in the same run (its int8 model is timed by
 * the same code as ours); the dynamo-exported MLP; a small CNN, static and
 * dynamic; and the time to quantize a ~100 MB model.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { quantizeModel } from '../src/quantize/index.js';
import { readSamples } from '../src/quantize/samples.js';
import { validateQuantized } from '../src/quantize/validate.js';
import { loadModel } from '../src/models/load-model.js';
import { writeFeatureCsv } from './make-data.js';
import { bigMlp, imagesNpy, smallCnn, withSoftmax } from './models.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function ortQuantize(model: string, out: string): { ok: boolean; seconds?: number; error?: string } {
  const probe = spawnSync('python3', ['-c', 'import onnxruntime.quantization'], { encoding: 'utf8' });
  if (probe.status !== 0) return { ok: false, error: 'onnxruntime (Python) is not installed here: baseline not run' };
  const r = spawnSync('python3', [path.join(ROOT, 'bench', 'baseline_quantize.py'), model, out], { encoding: 'utf8' });
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  } catch {
    return { ok: false, error: r.stderr.slice(0, 200) };
  }
}

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)} %`);

export async function benchQuantize(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-q-'));
  try {
    const mlp = path.join(dir, 'mlp-softmax.onnx');
    writeFileSync(mlp, withSoftmax(readFileSync(path.join(ROOT, 'fixtures', 'models', 'mlp.onnx'))));
    const data = path.join(dir, 'rows.csv');
    await writeFeatureCsv(data, 5000, 30, 17);
    const ours = await quantizeModel({
      model: mlp,
      output: path.join(dir, 'mlp.int8.onnx'),
      validate: data,
      ignore: ['id'],
    });
    const v = ours.validation!;
    console.log('quantize: tabular MLP 30-256-256-2 + softmax, dynamic, 5,000 rows, latency at batch 5,000');
    console.log(
      `  mlops:        size ratio ${ours.size_ratio.toFixed(3)}, max abs diff ${v.outputs[0].max_abs_diff.toFixed(4)}, argmax agreement ${pct(v.outputs[0].argmax_agreement)}, speed-up ${v.speedup.toFixed(2)}x (float ${v.float_ms.toFixed(1)} ms, int8 ${v.int8_ms.toFixed(1)} ms), ${ours.duration_ms} ms to quantize and validate`,
    );
    const ortOut = path.join(dir, 'mlp.ort-int8.onnx');
    const ort = ortQuantize(mlp, ortOut);
    if (ort.ok) {
      // Latency is noisy here (+-20 % between runs): alternate the two int8 models, 3 rounds, medians.
      const loaded = await loadModel(mlp);
      const samples = await readSamples(data, loaded, {
        rows: 5000,
        ignore: ['id'],
        what: 'validation',
        batchSize: 5000,
      });
      const ourSpeedups: number[] = [];
      const theirSpeedups: number[] = [];
      let theirs: Awaited<ReturnType<typeof validateQuantized>> | undefined;
      for (let round = 0; round < 3; round++) {
        ourSpeedups.push(
          (await validateQuantized(loaded, readFileSync(path.join(dir, 'mlp.int8.onnx')), samples, { latencyRuns: 15 }))
            .speedup,
        );
        theirs = await validateQuantized(loaded, readFileSync(ortOut), samples, { latencyRuns: 15 });
        theirSpeedups.push(theirs.speedup);
      }
      const med = (x: number[]) => [...x].sort((a, b) => a - b)[1];
      const ratio = readFileSync(ortOut).length / readFileSync(mlp).length;
      console.log(
        `  onnxruntime:  size ratio ${ratio.toFixed(3)}, max abs diff ${theirs!.outputs[0].max_abs_diff.toFixed(4)}, argmax agreement ${pct(theirs!.outputs[0].argmax_agreement)}, ${((ort.seconds ?? 0) * 1000).toFixed(0)} ms to quantize`,
      );
      console.log(
        `  speed-up at batch 5,000, median of 3 alternating rounds: mlops ${med(ourSpeedups).toFixed(2)}x, onnxruntime's int8 model ${med(theirSpeedups).toFixed(2)}x: ours is ${((med(ourSpeedups) / med(theirSpeedups)) * 100).toFixed(0)} % of theirs (target >= 80 %)`,
      );
    } else console.log(`  onnxruntime quantizer: ${ort.error}`);

    const dynamo = path.join(ROOT, 'fixtures', 'models', 'mlp-dynamo.onnx');
    const d = await quantizeModel({ model: dynamo, output: path.join(dir, 'dynamo.int8.onnx') });
    const ortDynamo = ortQuantize(dynamo, path.join(dir, 'dynamo.ort.onnx'));
    console.log(
      `  torch dynamo export (IR 10): mlops quantized ${d.quantized.length} nodes; onnxruntime quantizer: ${ortDynamo.ok ? 'ok' : `fails (${ortDynamo.error})`}`,
    );

    const cnn = path.join(dir, 'cnn.onnx');
    writeFileSync(cnn, smallCnn());
    mkdirSync(path.join(dir, 'calib'));
    mkdirSync(path.join(dir, 'val'));
    writeFileSync(path.join(dir, 'calib', 'image.npy'), imagesNpy(256, 5));
    writeFileSync(path.join(dir, 'val', 'image.npy'), imagesNpy(1000, 9));
    console.log('quantize: small CNN (2 Conv + Gemm, 3x32x32), 1,000 validation images, latency at batch 1,000');
    for (const [label, opts] of [
      ['static, 256 calibration images', { mode: 'static' as const, calibration: path.join(dir, 'calib') }],
      ['static, per-channel', { mode: 'static' as const, calibration: path.join(dir, 'calib'), perChannel: true }],
      ['dynamic (Conv left in float)', {}],
    ] as const) {
      const r = await quantizeModel({
        model: cnn,
        output: path.join(dir, 'cnn.int8.onnx'),
        validate: path.join(dir, 'val'),
        ...opts,
      });
      const rv = r.validation!;
      console.log(
        `  ${label.padEnd(31)} argmax agreement ${pct(rv.outputs[0].argmax_agreement)}, max abs diff ${rv.outputs[0].max_abs_diff.toFixed(3)}, speed-up ${rv.speedup.toFixed(2)}x (float ${rv.float_ms.toFixed(1)} ms, int8 ${rv.int8_ms.toFixed(1)} ms)`,
      );
    }

    const big = path.join(dir, 'big.onnx');
    writeFileSync(big, bigMlp(100));
    const t = performance.now();
    const b = await quantizeModel({ model: big, output: path.join(dir, 'big.int8.onnx') });
    console.log(
      `quantize: ${(b.source.size_bytes / 1e6).toFixed(0)} MB MLP (${b.quantized.length} MatMul), dynamic: ${((performance.now() - t) / 1000).toFixed(2)} s including the check run (target < 10 s), size ratio ${b.size_ratio.toFixed(3)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchQuantize();
