/**
 * `mlops serve <model...>`: declarations only; the server is src/serve/. It runs
 * until SIGTERM or Ctrl-C: readiness goes to 503 at once, accepted requests
 * finish (up to --drain-timeout) and it exits 0; a second signal exits at once.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ExitCode, MlopsError } from '../util/errors.js';
import { addFlags, flagSet, readFlags, REGISTRY_FLAG } from './flags.js';
import { addFormatFlags } from './format.js';
import type { ServeOptions } from '../serve/index.js';
import { MAX_INSTANCES } from '../serve/limits.js';
import { takeInterrupt } from './interrupt.js';
import { examples, numberInRange, parseList, parseNonNegativeInt, parsePositiveInt } from './parsers.js';
import { runCommand } from './run.js';

/** The library's options as flags, plus what the CLI turns into options (a token file, the log settings). */
type ServeFlags = Pick<
  ServeOptions,
  | 'port'
  | 'host'
  | 'names'
  | 'maxBatchRows'
  | 'maxQueueDelayMs'
  | 'maxQueueRows'
  | 'instances'
  | 'threads'
  | 'maxBodyBytes'
  | 'timeoutMs'
  | 'registry'
> & {
  tokenFile?: string;
  drainTimeoutMs?: number;
  logPredictions?: string;
  sampleRate?: number;
  logMaxBytes?: number;
  logKeep?: number;
};

const SERVE = flagSet<ServeFlags>()({
  port: {
    flag: '--port <n>',
    help: 'port to listen on (default 8080; 0 picks a free one)',
    parse: parseNonNegativeInt,
  },
  host: {
    flag: '--host <addr>',
    help: 'address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 listens on every interface, as in a container)',
  },
  names: {
    flag: '--name <names>',
    help: 'names in URLs, one per model, comma-separated (default: the registry name or the file name)',
    parse: parseList,
  },
  maxBatchRows: {
    flag: '--max-batch-rows <n>',
    help: 'rows of concurrent requests joined into one inference (default 64)',
    parse: parsePositiveInt,
  },
  maxQueueDelayMs: {
    flag: '--max-queue-delay <ms>',
    help: 'how long a request may wait for others to join its batch while the model is busy (default 2); an idle server never waits',
    parse: parseNonNegativeInt,
  },
  maxQueueRows: {
    flag: '--max-queue <rows>',
    help: 'rows waiting at most; beyond, 503 with Retry-After at once (default 4096)',
    parse: parsePositiveInt,
  },
  instances: {
    flag: '--instances <n>',
    help: `inference workers per model, at most ${MAX_INSTANCES} (default: 2 on 2 or more cores)`,
    parse: parsePositiveInt,
  },
  threads: {
    flag: '--threads <n>',
    help: 'onnxruntime threads per worker (default: cores / instances)',
    parse: parsePositiveInt,
  },
  maxBodyBytes: {
    flag: '--max-body <bytes>',
    help: 'request body limit, checked before parsing and on the decoded size of a gzip/deflate body: 413 beyond (default 67108864)',
    parse: parsePositiveInt,
  },
  timeoutMs: {
    flag: '--timeout <ms>',
    help: 'per-request deadline: 504 beyond; headers and body must arrive within it too (at least 1 s), else 408 (default 30000)',
    parse: parsePositiveInt,
  },
  tokenFile: {
    flag: '--token-file <file>',
    help: 'require "Authorization: Bearer <token>" with the token in this file (or MLOPS_SERVE_TOKEN); health paths stay open',
  },
  drainTimeoutMs: {
    flag: '--drain-timeout <ms>',
    help: 'on SIGTERM, how long accepted requests may take to finish (default 30000)',
    parse: parseNonNegativeInt,
  },
  logPredictions: {
    flag: '--log-predictions <file>',
    help: 'append sampled rows (inputs, then outputs as predict-batch names them) to this CSV, for `mlops drift --current`; with several models, <file>.<name>.csv each',
  },
  sampleRate: {
    flag: '--sample-rate <r>',
    help: 'share of rows logged, 0 to 1 (default 1)',
    parse: numberInRange(0, 1),
  },
  logMaxBytes: {
    flag: '--log-max-bytes <bytes>',
    help: 'rotate the prediction log past this size: FILE -> FILE.1.csv ... (default 104857600)',
    parse: parsePositiveInt,
  },
  logKeep: {
    flag: '--log-keep <n>',
    help: 'rotated prediction logs kept (default 5)',
    parse: parseNonNegativeInt,
  },
  registry: REGISTRY_FLAG,
});

/** Die by the signal itself (exit 128 + n), as cli.ts does: process.exit() would abort onnxruntime's workers. */
function dieBy(signal: NodeJS.Signals): void {
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}

/** A second SIGINT or SIGTERM, while draining, ends the process at once, by that signal. */
function exitOnSignal(): void {
  for (const s of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(s);
    process.once(s, () => {
      process.stderr.write(`serve: second signal (${s}): exiting at once, without waiting for accepted requests\n`);
      dieBy(s);
    });
  }
}

async function readToken(file: string | undefined): Promise<string | undefined> {
  if (file) {
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new MlopsError('OPTION_INVALID', `\`tokenFile\` ${file} cannot be read (${err.code})`);
    });
    const token = text.trim();
    if (!token) throw new MlopsError('OPTION_INVALID', `\`tokenFile\` ${file} is empty`);
    return token;
  }
  return process.env.MLOPS_SERVE_TOKEN?.trim() || undefined;
}

export function addServeCommand(program: Command): void {
  const cmd = program
    .command('serve')
    .description(
      'serve models over HTTP (Open Inference Protocol / KServe V2) with dynamic batching, straight from the registry',
    )
    .argument('<models...>', 'registry references (fraud@production) or .onnx files');
  addFlags(cmd, SERVE);
  // It prints no document while it runs; --json makes a start-up failure one JSON error document.
  addFormatFlags(cmd, ['json'], { json: 'a start-up failure is printed as a JSON error document' });
  cmd.addHelpText(
    'after',
    `
Endpoints: GET /v2/health/live, /v2/health/ready, /v2, /v2/models/<name>[/versions/<v>][/ready],
POST /v2/models/<name>[/versions/<v>]/infer; POST /invocations (MLflow's scoring format: dataframe_split,
dataframe_records, instances, inputs or text/csv) for the first model; /ping, /health and /version;
GET /metrics (Prometheus; behind the token like every path but health). Inference runs
in worker threads, so health checks answer at full load. One JSON line per request goes to stderr.
By default it listens on 127.0.0.1 only; --host 0.0.0.0 listens on every interface.
A reference with an alias (fraud@production) follows it: when the alias moves, the new version is loaded,
checked (sha256, compatible inputs and outputs), warmed up and swapped in; a version that fails keeps the
old one serving (a JSON "reload" line on stderr says why). name@3, files and a bare name are fixed.
${examples([
  'mlops serve fraud@production --port 8080',
  'mlops serve model.onnx --host 0.0.0.0 --token-file /var/run/secrets/mlops-token',
  "curl -s localhost:8080/invocations -H 'content-type: text/csv' --data-binary @rows.csv",
  'mlops serve fraud@production --log-predictions live.csv --sample-rate 0.1   # then: mlops drift --reference train.csv --current live.csv',
  'curl -s localhost:8080/v2/models/fraud/infer -d \'{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}\'',
])}`,
  );
  cmd.action(async (models: string[], _opts: unknown, c: Command) => {
    const { tokenFile, drainTimeoutMs, ...flags } = readFlags(c, SERVE);
    const given = c.optsWithGlobals<{ json?: boolean; format?: string; debug?: boolean }>();
    const json = Boolean(given.json) || given.format === 'json';
    await runCommand({ json, debug: Boolean(given.debug) }, async () => {
      // From here on serve owns SIGINT/SIGTERM (cli.ts's message is about predict-batch's output files).
      let loaded = false;
      const signalled = new Promise<NodeJS.Signals>((resolve) =>
        takeInterrupt((signal) => {
          if (loaded) {
            // A second signal, of either kind, while draining: out at once.
            exitOnSignal();
            return resolve(signal);
          }
          process.stderr.write(`serve: interrupted (${signal}) while loading the models: exiting\n`);
          dieBy(signal);
        }),
      );
      const { serve } = await import('../serve/index.js');
      const { createRequire } = await import('node:module');
      const version = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;
      const handle = await serve({
        ...flags,
        models,
        token: await readToken(tokenFile),
        version,
        log: (line) => process.stderr.write(`${JSON.stringify(line)}\n`),
      });
      loaded = true;
      for (const m of handle.models) {
        const v = m.current.modelVersion;
        process.stderr.write(
          `serve: ${m.name}${v === null ? '' : `@${v}`} (${m.ref}) at ${handle.url}/v2/models/${m.name}\n`,
        );
      }
      const signal = await signalled;
      process.stderr.write(`serve: ${signal}: draining (readiness 503), then exiting\n`);
      await handle.close(drainTimeoutMs ?? 30_000);
      return { stdout: '', exitCode: ExitCode.Ok };
    });
  });
}
