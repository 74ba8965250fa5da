/** `--shard i/n` and the cluster schedulers' array-job variables. */
import { createReadStream } from 'node:fs';
import { MlopsError } from '../util/errors.js';

export interface ShardSpec {
  /** 0-based. */
  index: number;
  count: number;
  /** Where the spec came from, for the summary. */
  source: string;
}

export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) throw new MlopsError('USAGE', `--shard "${text}" should look like i/n (0-based shard index i of n shards)`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index >= count) throw new MlopsError('USAGE', `--shard ${text}: the index must be in 0..${Math.max(0, count - 1)}`);
  return { index, count };
}

/**
 * The shard this process runs: --shard, else Kubernetes Indexed Jobs
 * (JOB_COMPLETION_INDEX with --shards n), AWS Batch array jobs, Slurm arrays.
 */
export function resolveShard(shard: string | undefined, shards: number | undefined, env: NodeJS.ProcessEnv = process.env): ShardSpec | undefined {
  if (shard) return { ...parseShard(shard), source: '--shard' };
  const spec = (index: number, count: number, source: string): ShardSpec => {
    if (!Number.isInteger(index) || !Number.isInteger(count) || count < 1 || index < 0 || index >= count) {
      throw new MlopsError('USAGE', `${source} gives shard ${index} of ${count}, which is out of range`);
    }
    return { index, count, source };
  };
  if (env.JOB_COMPLETION_INDEX !== undefined && shards !== undefined) {
    return spec(Number(env.JOB_COMPLETION_INDEX), shards, 'JOB_COMPLETION_INDEX');
  }
  if (env.AWS_BATCH_JOB_ARRAY_INDEX !== undefined && env.AWS_BATCH_JOB_ARRAY_SIZE !== undefined) {
    return spec(Number(env.AWS_BATCH_JOB_ARRAY_INDEX), Number(env.AWS_BATCH_JOB_ARRAY_SIZE), 'AWS_BATCH_JOB_ARRAY_INDEX');
  }
  if (env.SLURM_ARRAY_TASK_ID !== undefined && env.SLURM_ARRAY_TASK_COUNT !== undefined) {
    const min = Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
    return spec(Number(env.SLURM_ARRAY_TASK_ID) - min, Number(env.SLURM_ARRAY_TASK_COUNT), 'SLURM_ARRAY_TASK_ID');
  }
  if (shards !== undefined) {
    throw new MlopsError('USAGE', '--shards needs JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) to say which shard this is', { hint: 'or pass --shard i/n' });
  }
  return undefined;
}

/** Byte range of the data rows shard `index` of `count` reads. */
export function shardRange(dataStart: number, size: number, spec: ShardSpec): { start: number; end: number } {
  const span = size - dataStart;
  return {
    start: dataStart + Math.floor((spec.index * span) / spec.count),
    end: dataStart + Math.floor(((spec.index + 1) * span) / spec.count),
  };
}

/**
 * Byte ranges are only safe when every newline ends a row. Scan for a quoted
 * field spanning lines: quotes toggle the state ("" toggles twice).
 */
export async function assertNoQuotedNewlines(file: string): Promise<void> {
  let inQuotes = false;
  let line = 1;
  let quoteLine = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    if (!inQuotes && chunk.indexOf(0x22) < 0) {
      // Common case: no quotes in this chunk, only count lines.
      for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) line++;
      continue;
    }
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === 0x22) {
        inQuotes = !inQuotes;
        if (inQuotes) quoteLine = line;
      } else if (b === 0x0a) {
        if (inQuotes) {
          throw new MlopsError('SHARD_UNSAFE', `${file}:${quoteLine}: a quoted field spans lines, so the file cannot be split into byte ranges safely`, {
            hint: 'split the file into one file per shard (e.g. by rows with a CSV-aware tool) and give each job its file, or remove line breaks inside fields',
          });
        }
        line++;
      }
    }
  }
}
