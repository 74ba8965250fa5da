/** `--shard i/n` and the cluster schedulers' array-job variables. */
import { createReadStream } from 'node:fs';
import { MlopsError } from '../util/errors.js';
import { opensQuotedValue } from '../table/quote-rule.js';

export interface ShardSpec {
  /** 0-based. */
  index: number;
  count: number;
  /** Where the spec came from, for the summary. */
  source: string;
}

export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match)
    throw new MlopsError(
      'SHARD_INVALID',
      `\`shard\` "${text}" should look like i/n (0-based shard index i of n shards)`,
    );
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index >= count)
    throw new MlopsError('SHARD_INVALID', `\`shard\` ${text}: the index must be in 0..${Math.max(0, count - 1)}`);
  return { index, count };
}

/**
 * The shard this process runs: --shard, else the array-job index of
 * Kubernetes Indexed Jobs (JOB_COMPLETION_INDEX), AWS Batch
 * (AWS_BATCH_JOB_ARRAY_INDEX) or Slurm (SLURM_ARRAY_TASK_ID), with the
 * count from --shards or the scheduler's own variable. An index without a
 * count is an error: every job would silently predict the whole input.
 */
export function resolveShard(
  shard: string | undefined,
  shards: number | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ShardSpec | undefined {
  if (shard) {
    const parsed = parseShard(shard);
    if (shards !== undefined && shards !== parsed.count)
      throw new MlopsError(
        'SHARD_INVALID',
        `\`shard\` ${shard} says ${parsed.count} shards but \`shards\` says ${shards}`,
        { hint: 'pass one of them' },
      );
    return { ...parsed, source: '--shard' };
  }
  /** Array-job variables must be plain non-negative integers: "" or "0x2" would pick a shard silently. */
  const envInt = (name: string): number => {
    const text = env[name] ?? '';
    if (!/^\d+$/.test(text.trim()))
      throw new MlopsError('ENV_INVALID', `${name}="${text}" is not a non-negative integer`, {
        hint: 'check the job definition',
      });
    return Number(text);
  };
  const spec = (index: number, count: number, source: string): ShardSpec => {
    if (!Number.isInteger(index) || !Number.isInteger(count) || count < 1 || index < 0 || index >= count) {
      throw new MlopsError('ENV_INVALID', `${source} gives shard ${index} of ${count}, which is out of range`, {
        hint: 'the index must be 0-based and below the shard count (`shards`)',
      });
    }
    return { index, count, source };
  };
  const countFor = (source: string, own?: string): number => {
    if (shards !== undefined) return shards;
    if (own !== undefined && env[own] !== undefined) return envInt(own);
    throw new MlopsError(
      'SHARD_INVALID',
      `${source} is set, but not how many shards there are: every job would predict the whole input`,
      {
        hint: `pass \`shards\` N (the array's size)${own ? ` or set ${own}` : ''}, or \`shard\` 0/1 to have every job read the whole input`,
      },
    );
  };
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    return spec(
      envInt('JOB_COMPLETION_INDEX'),
      countFor('JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)'),
      'JOB_COMPLETION_INDEX',
    );
  }
  if (env.AWS_BATCH_JOB_ARRAY_INDEX !== undefined) {
    return spec(
      envInt('AWS_BATCH_JOB_ARRAY_INDEX'),
      countFor('AWS_BATCH_JOB_ARRAY_INDEX (an AWS Batch array job)', 'AWS_BATCH_JOB_ARRAY_SIZE'),
      'AWS_BATCH_JOB_ARRAY_INDEX',
    );
  }
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    // Task ids run MIN, MIN + STEP, ... (sbatch --array=0-10:2).
    const min = env.SLURM_ARRAY_TASK_MIN !== undefined ? envInt('SLURM_ARRAY_TASK_MIN') : 0;
    const step = env.SLURM_ARRAY_TASK_STEP !== undefined ? envInt('SLURM_ARRAY_TASK_STEP') || 1 : 1;
    return spec(
      (envInt('SLURM_ARRAY_TASK_ID') - min) / step,
      countFor('SLURM_ARRAY_TASK_ID (a Slurm job array)', 'SLURM_ARRAY_TASK_COUNT'),
      'SLURM_ARRAY_TASK_ID',
    );
  }
  if (shards !== undefined) {
    throw new MlopsError(
      'SHARD_INDEX_MISSING',
      '`shards` needs an array-job index to say which shard this is: JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX or SLURM_ARRAY_TASK_ID',
      { hint: 'or pass `shard` i/n' },
    );
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
 * Rows [start, end) (0-based) of a Parquet file that shard `index` of `count`
 * reads: whole row groups, split as shardRange splits bytes. With fewer row
 * groups than shards, some shards are empty (their output is the header).
 */
export function shardRowGroups(
  groups: ReadonlyArray<{ firstRow: number; rows: number }>,
  rows: number,
  spec: ShardSpec,
): { start: number; end: number } {
  const first = Math.floor((spec.index * groups.length) / spec.count);
  const last = Math.floor(((spec.index + 1) * groups.length) / spec.count);
  const rowAt = (g: number) => (g < groups.length ? groups[g].firstRow : rows);
  return { start: rowAt(first), end: rowAt(last) };
}

/**
 * Byte ranges are only safe when every newline ends a row. Scan the file for
 * a quoted field spanning lines (quotes toggle the state, "" twice), and
 * count the newlines before `offset`, so a shard reports the file's line numbers.
 */
export async function scanForShard(file: string, offset: number): Promise<{ linesBefore: number }> {
  let inQuotes = false;
  let line = 1;
  let quoteLine = 0;
  let at = 0; // file offset of the chunk
  let linesBefore = -1;
  let previousByte = -1; // last byte of the previous chunk (-1: start of file)
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    if (linesBefore < 0 && offset < at + chunk.length) {
      linesBefore = line - 1;
      for (let i = chunk.indexOf(0x0a); i >= 0 && i < offset - at; i = chunk.indexOf(0x0a, i + 1)) linesBefore++;
    }
    if (!inQuotes && chunk.indexOf(0x22) < 0) {
      // Common case: no quotes in this chunk, only count lines.
      for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) line++;
      at += chunk.length;
      previousByte = chunk[chunk.length - 1];
      continue;
    }
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === 0x22) {
        // As the row reader: a quote opens a quoted value only at the start of a field.
        if (!inQuotes && !opensQuotedValue(i > 0 ? chunk[i - 1] : previousByte)) continue;
        inQuotes = !inQuotes;
        if (inQuotes) quoteLine = line;
      } else if (b === 0x0a) {
        if (inQuotes) {
          throw new MlopsError(
            'SHARD_UNSAFE',
            `${file}:${quoteLine}: a quote opened on this line is not closed on it (a quoted field spans lines, or a stray "), so the file cannot be split into byte ranges safely`,
            {
              hint: 'fix a stray quote; or split the file into one file per shard with a CSV-aware tool and give each job its file, or remove line breaks inside fields',
            },
          );
        }
        line++;
      }
    }
    at += chunk.length;
    previousByte = chunk[chunk.length - 1];
  }
  return { linesBefore: linesBefore < 0 ? line - 1 : linesBefore };
}
