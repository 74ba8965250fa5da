/** `mlops drift`: declarations only; the work is in src/drift/. */
import { Option, type Command } from 'commander';
import { ExitCode, MlopsError } from '../util/errors.js';
import { renderOptions, runCommand, type GlobalFlags } from './run.js';
import { parseList, parseNonNegative } from './parsers.js';
import type { DriftOptions } from '../drift/index.js';

/** The library's options plus how to report. */
type DriftFlags = DriftOptions & { fail: boolean; markdown?: boolean; html?: string; json?: boolean };

export function addDriftCommand(program: Command): void {
  program
    .command('drift')
    .description('per-column drift between a reference and a current CSV: KS (exactly as scipy) or chi-square, PSI, Wasserstein; exit 1 on dataset drift')
    .requiredOption('--reference <csv>', 'the reference data (training set)')
    .requiredOption('--current <csv>', 'the data to compare (production)')
    .option('--columns <cols>', 'only these columns', parseList)
    .option('--exclude <cols>', 'leave these out (ids, timestamps)', parseList)
    .option('--categorical <cols>', 'treat as categorical', parseList)
    .option('--numerical <cols>', 'treat as numerical', parseList)
    .addOption(new Option('--alternative <alt>', 'KS alternative').choices(['two-sided', 'less', 'greater']).default('two-sided'))
    .addOption(new Option('--method <m>', 'KS p-value method, as scipy: auto (exact up to 10,000 values), exact, asymp').choices(['auto', 'exact', 'asymp']).default('auto'))
    .option('--alpha <a>', 'significance level for a column', parseNonNegative, 0.05)
    .addOption(new Option('--correction <c>', 'multiple-testing correction').choices(['none', 'bonferroni', 'fdr']).default('none'))
    .option('--min-effect <x>', 'a column drifts only if its effect size also exceeds this', parseNonNegative)
    .addOption(new Option('--effect-metric <m>', 'effect size for --min-effect on numerical columns (categorical use PSI)').choices(['psi', 'ks', 'wasserstein']).default('psi'))
    .option('--drift-share <s>', 'dataset drift when at least this share of columns drifts', parseNonNegative, 0.5)
    .option('--no-fail', 'exit 0 even on dataset drift')
    .option('--markdown', 'print Markdown (for PR comments and $GITHUB_STEP_SUMMARY)')
    .option('--html <file>', 'also write a self-contained HTML report with a chart per column (- prints it on stdout instead of the table)')
    .option('--json', 'print the full report as JSON')
    .addHelpText('after', `
Types: a column is categorical when a value in the first 1,000 reference rows is not a number, or
when its values there are integers with at most 10 distinct values; override with --categorical and
--numerical. Empty and NaN-like values are counted as missing and not tested. Chi-square follows
scipy.stats.chi2_contingency, including Yates' correction on 2x2 tables (two categories).
Exit 1 on dataset drift (0 with --no-fail), 2 on unusable input.

Examples:
  $ mlops drift --reference train.csv --current today.csv --exclude id,ts
  $ mlops drift --reference train.csv --current today.csv --correction fdr --min-effect 0.1 --html drift.html
  $ mlops drift --reference train.csv --current today.csv --markdown >> "$GITHUB_STEP_SUMMARY"
`)
    .action(async (flags: DriftFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalFlags>();
      await runCommand(globals, async () => {
        const { detectDrift } = await import('../drift/index.js');
        const { fail, markdown, html, json, ...options } = flags;
        if (html === '-' && (json || markdown)) throw new MlopsError('USAGE', `--html - prints the HTML report on stdout, so --${json ? 'json' : 'markdown'} cannot go there too`, { hint: 'write the HTML to a file: --html drift.html' });
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
