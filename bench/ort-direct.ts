/**
 * onnxruntime-node's own speed, nothing of ours in the way: an InferenceSession fed pre-built
 * Float32Array batches, one run() after another, with the thread count and batch size predict-batch
 * used. bench/predict-speed.ts compares predict-batch's rows/s on an inference-bound model with this.
 *
 * Usage: node dist/bench/ort-direct.js MODEL ROWS BATCH THREADS [FEATURES=30]
 * Prints one JSON line: rows, wall and CPU seconds spent in run() (after one warm-up batch), rows per second.
 */
import * as ort from 'onnxruntime-node';

const [model, rowsArg, batchArg, threadsArg, featuresArg] = process.argv.slice(2);
const rows = Number(rowsArg);
const batch = Number(batchArg);
const features = Number(featuresArg ?? 30);
const started = performance.now();
const session = await ort.InferenceSession.create(model, {
  // The options of src/runtime/ort-session.ts: only the intra-op thread count is set.
  intraOpNumThreads: Number(threadsArg),
  logSeverityLevel: 4,
});
const input = session.inputNames[0];
// Pre-parsed data: N(0, 1) values (the benchmark CSV's distribution), made before the clock starts.
let seed = 12345;
const uniform = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) + 1) / 4294967297;
const batches: Float32Array[] = [];
for (let done = 0; done < rows; done += batch) {
  const n = Math.min(batch, rows - done);
  const data = new Float32Array(n * features);
  for (let i = 0; i < data.length; i++)
    data[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  batches.push(data);
}
const tensor = (data: Float32Array) => new ort.Tensor('float32', data, [data.length / features, features]);
await session.run({ [input]: tensor(batches[0]) }); // warm-up: first-run allocations
const t0 = performance.now();
const cpu0 = process.cpuUsage();
for (const data of batches) await session.run({ [input]: tensor(data) });
const runS = (performance.now() - t0) / 1000;
// CPU of every thread of the process while run() worked: on a loaded machine steadier than wall time.
const cpu = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    rows,
    batch,
    threads: Number(threadsArg),
    run_s: runS,
    run_cpu_s: (cpu.user + cpu.system) / 1e6,
    rows_per_second: rows / runS,
    wall_s: (performance.now() - started) / 1000,
  }),
);
