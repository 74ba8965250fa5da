/** `npm run bench`: every benchmark, one after the other (figures go in README's performance section). */
import { benchPredict } from './predict-batch.js';
import { benchPredictSpeed } from './predict-speed.js';
import { benchParquet } from './parquet.js';
import { benchRegistry } from './registry.js';
import { benchRegistryPostgres } from './registry-postgres.js';
import { benchQuantize } from './quantize.js';
import { benchDrift } from './drift.js';
import { benchServe } from './serve.js';

await benchPredict();
await benchPredictSpeed();
await benchParquet();
await benchRegistry();
await benchRegistryPostgres();
await benchQuantize();
await benchDrift();
await benchServe();
