/** `mlops drift`: declarations only; the work is in src/drift/. */
import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode, MlopsError } from '../util/errors.js';
import { parseList, parseNonNegative, parseNumber, parseOutputPath } from './parsers.js';
import type { DriftOptions } from '../drift/index.js';
import { MIN_VALUES, MISSING_RATE_JUMP } from '../drift/rules.js';
import { addFlags, flagSet, readFlags } from './flags.js';
import { addFormatFlags, chosenFormat } from './format.js';
import { INPUT_FORMAT_FLAG } from './input-format-flag.js';
import { commandAction } from './shape.js';

/** A significance level: 0 would never flag, 1 always. */
function parseAlpha(value: string): number {
  const n = parseNumber(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`"${value}" must be between 0 and 1 (exclusive).`);
  return n;
}

/** A share of columns: 0 would call every run drift, above 1 none. */
function parseShare(value: string): number {
  const n = parseNumber(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError(`"${value}" must be above 0 and at most 1.`);
  return n;
}

function parseMinValues(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 2)
    throw new InvalidArgumentError(`"${value}" must be an integer >= 2.`);
  return n;
}

const FLAGS = flagSet<DriftOptions>()({
  reference: { flag: '--reference <csv>', help: 'the reference data (training set)', required: true },
  current: { flag: '--current <csv>', help: 'the data to compare (production); - reads stdin', required: true },
  // --columns and --exclude are the spellings before every command said --features / --ignore: kept for scripts.
  columns: { flag: '--features <cols>', help: 'only these columns', parse: parseList, alias: '--columns <cols>' },
  exclude: {
    flag: '--ignore <cols>',
    help: 'leave these out (ids, timestamps)',
    parse: parseList,
    alias: '--exclude <cols>',
  },
  inputFormat: INPUT_FORMAT_FLAG,
  categorical: { flag: '--categorical <cols>', help: 'treat as categorical', parse: parseList },
  numerical: { flag: '--numerical <cols>', help: 'treat as numerical', parse: parseList },
  alternative: {
    flag: '--alternative <alt>',
    help: 'KS alternative',
    choices: ['two-sided', 'less', 'greater'],
    default: 'two-sided',
  },
  method: {
    flag: '--method <m>',
    help: 'KS p-value method, as scipy: auto (exact up to 10,000 values), exact, asymp',
    choices: ['auto', 'exact', 'asymp'],
    default: 'auto',
  },
  alpha: {
    flag: '--alpha <a>',
    help: 'significance level for a column, between 0 and 1',
    parse: parseAlpha,
    default: 0.05,
  },
  correction: {
    flag: '--correction <c>',
    help: 'multiple-testing correction',
    choices: ['none', 'bonferroni', 'fdr'],
    default: 'none',
  },
  minEffect: {
    flag: '--min-effect <x>',
    help: 'a column drifts only if its effect size also exceeds this',
    parse: parseNonNegative,
  },
  effectMetric: {
    flag: '--effect-metric <m>',
    help: 'effect size for --min-effect on numerical columns (categorical use PSI)',
    choices: ['psi', 'ks', 'wasserstein'],
    default: 'psi',
  },
  driftShare: {
    flag: '--drift-share <s>',
    help: 'dataset drift when at least this share of tested columns drifts, above 0 and at most 1',
    parse: parseShare,
    default: 0.5,
  },
  minValues: {
    flag: '--min-values <n>',
    help: 'a column needs this many non-missing values in both files to be tested',
    parse: parseMinValues,
    default: MIN_VALUES,
  },
});

/** How to report: the CLI's own settings. */
interface DriftReporting {
  fail: boolean;
  html?: string;
}

const REPORTING = flagSet<DriftReporting>()({
  fail: { flag: '--no-fail', help: 'exit 0 even on dataset drift', default: true },
  html: {
    flag: '--html <file>',
    help: 'also write a self-contained HTML report with a chart per column (- prints it on stdout, as --format html)',
    parse: parseOutputPath,
  },
});

export function addDriftCommand(program: Command): void {
  const cmd = program
    .command('drift')
    .description(
      'per-column drift between a reference and a current CSV: KS (exactly as scipy) or chi-square, PSI, Wasserstein; exit 1 on dataset drift',
    );
  addFlags(cmd, FLAGS, REPORTING);
  addFormatFlags(cmd, ['table', 'json', 'markdown', 'html'], {
    json: 'print the full report as JSON (same as --format json)',
    oldFlags: { '--markdown': 'markdown' },
  })
    .addHelpText(
      'after',
      `
Types: a column is categorical when a value in the first 1,000 reference rows is not a number, or
when its values there are integers with at most 10 distinct values; override with --categorical and
--numerical. Chi-square follows scipy.stats.chi2_contingency, including Yates' correction on 2x2
tables (two categories).

Too few values: a column with fewer than ${MIN_VALUES} non-missing values in the reference or the current
data is reported as "not tested: too few values" (at 30 values a side, KS at alpha 0.05 only sees a
gap of 0.35 between the distributions, and chi-square wants about 5 expected values per category).
If no column can be tested there is no verdict: exit 2. A file without data rows is exit 2 too.

Bad rows (broken quoting, a wrong number of fields) are skipped and counted, with a warning naming
the first (skipped_rows in --json); a file whose rows are all bad is exit 2.

Missing values (empty, NaN, NA, null) are not tested as values; their rate is reported for every
column. A rate that moves by ${MISSING_RATE_JUMP * 100} percentage points or more with a chi-square p-value below
--alpha on missing/present counts is drift, and so is a column with values in the reference and
none in the current data.

Pipes (--current <(zcat today.csv.gz), /dev/stdin, or - for stdin) are read once into a temporary copy,
so CSV or Parquet may come that way.
Exit 1 on dataset drift (0 with --no-fail), 2 on unusable input.

Examples:
  $ mlops drift --reference train.csv --current today.csv --ignore id,ts
  $ mlops drift --reference train.csv --current today.csv --correction fdr --min-effect 0.1 --html drift.html
  $ mlops drift --reference train.csv --current today.csv --format markdown >> "$GITHUB_STEP_SUMMARY"
`,
    )
    .action(
      commandAction({
        options: (_args, c): DriftOptions => {
          const { html } = readFlags(c, REPORTING);
          const format = chosenFormat(c);
          if (html === '-' && format !== 'table' && format !== 'html')
            throw new MlopsError(
              'OPTIONS_CONFLICT',
              `--html - prints the HTML report on stdout, so the ${format === 'json' ? 'JSON' : format} report cannot go there too`,
              { hint: 'write the HTML to a file: --html drift.html' },
            );
          return readFlags(c, FLAGS);
        },
        run: async (options, c) => {
          const { html } = readFlags(c, REPORTING);
          if (html && html !== '-') {
            const { guardOutputs } = await import('../util/output-guard.js');
            await guardOutputs(
              [{ path: html, what: '--html' }],
              [
                { path: options.reference, what: 'the reference data' },
                { path: options.current, what: 'the current data' },
              ],
            );
          }
          const result = await (await import('../drift/index.js')).detectDrift({
            ...options,
            onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
          });
          if (html && html !== '-') {
            const { writeFileAtomic } = await import('../util/fs-atomic.js');
            await writeFileAtomic(html, (await import('../report/drift.js')).renderDriftHtml(result));
          }
          return result;
        },
        render: async (result, { format, render, cmd: c }) => {
          const report = await import('../report/drift.js');
          if (format === 'html' || readFlags(c, REPORTING).html === '-') return report.renderDriftHtml(result);
          if (format === 'markdown') return report.renderDriftMarkdown(result);
          return report.renderDriftTable(result, render);
        },
        exitCode: (result, _options, c) =>
          result.dataset_drift && readFlags(c, REPORTING).fail ? ExitCode.Failure : ExitCode.Ok,
      }),
    );
}
