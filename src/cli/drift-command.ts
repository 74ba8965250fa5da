/** `mlops drift`: declarations only; the work is in src/drift/. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ExitCode, MlopsError } from '../util/errors.js';
import { renderOptions, runCommand, type GlobalFlags } from './run.js';
import { oneSpelling, parseList, parseNonNegative, parseNumber, parseOutputPath } from './parsers.js';
import type { DriftOptions } from '../drift/index.js';
import { MIN_VALUES, MISSING_RATE_JUMP } from '../drift/rules.js';

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
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 2) throw new InvalidArgumentError(`"${value}" must be an integer >= 2.`);
  return n;
}

/** The library's options plus how to report. */
type DriftFlags = DriftOptions & { fail: boolean; markdown?: boolean; html?: string; json?: boolean; features?: string[]; ignore?: string[] };

export function addDriftCommand(program: Command): void {
  program
    .command('drift')
    .description('per-column drift between a reference and a current CSV: KS (exactly as scipy) or chi-square, PSI, Wasserstein; exit 1 on dataset drift')
    .requiredOption('--reference <csv>', 'the reference data (training set)')
    .requiredOption('--current <csv>', 'the data to compare (production)')
    .option('--features <cols>', 'only these columns', parseList)
    .option('--ignore <cols>', 'leave these out (ids, timestamps)', parseList)
    // The spellings before every command said --features / --ignore: kept for scripts.
    .addOption(new Option('--columns <cols>').argParser(parseList).hideHelp())
    .addOption(new Option('--exclude <cols>').argParser(parseList).hideHelp())
    .option('--categorical <cols>', 'treat as categorical', parseList)
    .option('--numerical <cols>', 'treat as numerical', parseList)
    .addOption(new Option('--alternative <alt>', 'KS alternative').choices(['two-sided', 'less', 'greater']).default('two-sided'))
    .addOption(new Option('--method <m>', 'KS p-value method, as scipy: auto (exact up to 10,000 values), exact, asymp').choices(['auto', 'exact', 'asymp']).default('auto'))
    .option('--alpha <a>', 'significance level for a column, between 0 and 1', parseAlpha, 0.05)
    .addOption(new Option('--correction <c>', 'multiple-testing correction').choices(['none', 'bonferroni', 'fdr']).default('none'))
    .option('--min-effect <x>', 'a column drifts only if its effect size also exceeds this', parseNonNegative)
    .addOption(new Option('--effect-metric <m>', 'effect size for --min-effect on numerical columns (categorical use PSI)').choices(['psi', 'ks', 'wasserstein']).default('psi'))
    .option('--drift-share <s>', 'dataset drift when at least this share of tested columns drifts, above 0 and at most 1', parseShare, 0.5)
    .option('--min-values <n>', `a column needs this many non-missing values in both files to be tested`, parseMinValues, MIN_VALUES)
    .option('--no-fail', 'exit 0 even on dataset drift')
    .option('--markdown', 'print Markdown (for PR comments and $GITHUB_STEP_SUMMARY)')
    .option('--html <file>', 'also write a self-contained HTML report with a chart per column (- prints it on stdout instead of the table)', parseOutputPath)
    .addOption(new Option('--json', 'print the full report as JSON').conflicts('markdown'))
    .addHelpText('after', `
Types: a column is categorical when a value in the first 1,000 reference rows is not a number, or
when its values there are integers with at most 10 distinct values; override with --categorical and
--numerical. Chi-square follows scipy.stats.chi2_contingency, including Yates' correction on 2x2
tables (two categories).

Too few values: a column with fewer than ${MIN_VALUES} non-missing values in the reference or the current
data is reported as "not tested: too few values" (at 30 values a side, KS at alpha 0.05 only sees a
gap of 0.35 between the distributions, and chi-square wants about 5 expected values per category).
If no column can be tested there is no verdict: exit 2. A file without data rows is exit 2 too.

Missing values (empty, NaN, NA, null) are not tested as values; their rate is reported for every
column. A rate that moves by ${MISSING_RATE_JUMP * 100} percentage points or more with a chi-square p-value below
--alpha on missing/present counts is drift, and so is a column with values in the reference and
none in the current data.

Pipes (--current <(zcat today.csv.gz), /dev/stdin) are read once into a temporary copy.
Exit 1 on dataset drift (0 with --no-fail), 2 on unusable input.

Examples:
  $ mlops drift --reference train.csv --current today.csv --ignore id,ts
  $ mlops drift --reference train.csv --current today.csv --correction fdr --min-effect 0.1 --html drift.html
  $ mlops drift --reference train.csv --current today.csv --markdown >> "$GITHUB_STEP_SUMMARY"
`)
    .action(async (flags: DriftFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalFlags>();
      await runCommand(globals, async () => {
        const { detectDrift } = await import('../drift/index.js');
        const { fail, markdown, html, json, features, ignore, ...rest } = flags;
        const options: DriftOptions = { ...rest, columns: oneSpelling(features, rest.columns, '--features', '--columns'), exclude: oneSpelling(ignore, rest.exclude, '--ignore', '--exclude') };
        if (html === '-' && (json || markdown)) throw new MlopsError('OPTIONS_CONFLICT', `--html - prints the HTML report on stdout, so --${json ? 'json' : 'markdown'} cannot go there too`, { hint: 'write the HTML to a file: --html drift.html' });
        if (html && html !== '-') {
          const { guardOutputs } = await import('../util/output-guard.js');
          await guardOutputs([{ path: html, what: '--html' }], [{ path: options.reference, what: 'the reference data' }, { path: options.current, what: 'the current data' }]);
        }
        const result = await detectDrift(options);
        const report = await import('../report/drift.js');
        const exitCode = result.dataset_drift && fail ? ExitCode.Failure : ExitCode.Ok;
        if (html === '-') return { stdout: report.renderDriftHtml(result), exitCode };
        if (html) {
          const { writeFileAtomic } = await import('../util/fs-atomic.js');
          await writeFileAtomic(html, report.renderDriftHtml(result));
        }
        if (json) return { stdout: (await import('../report/json.js')).renderJson(result), exitCode };
        if (markdown) return { stdout: report.renderDriftMarkdown(result), exitCode };
        return { stdout: report.renderDriftTable(result, renderOptions(globals)), exitCode };
      });
    });
}
