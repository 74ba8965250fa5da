/**
 * docs/errors.md, rendered from the two catalogues (error codes and check's
 * finding codes). `npm run docs:errors` writes it; a test renders it again
 * and fails when the file in the repository is out of date.
 */
import { ERROR_AREAS, ERROR_CODES, type ErrorArea, type ErrorCodeInfo } from '../util/error-codes.js';
import { FINDING_CODES, type FindingCodeInfo } from '../check/finding-codes.js';

const EXIT_MEANING: Record<number, string> = {
  0: 'ok',
  1: 'failure found',
  2: 'usage or input error',
  3: 'internal error',
};

/** A table cell: a pipe would end the cell early. */
const cell = (text: string) => text.replace(/\|/g, '\\|');

export function renderErrorsDoc(): string {
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated from src/util/error-codes.ts and src/check/finding-codes.ts by `npm run docs:errors`; do not edit. -->',
    '',
    'Every error mlops reports carries a stable code. With `--json`, a failed command prints',
    '`{ "version": 1, "ok": false, "error": { "code", "message", "hint", "exit_code" } }` on stdout,',
    'so a script can match on `error.code`. Codes are an API: they are renamed or removed only as a breaking change.',
    '',
    'Exit codes: 0 ok, 1 the command ran and found a failure, 2 usage or input error, 3 internal error.',
    '',
  ];
  const entries = Object.entries(ERROR_CODES) as Array<[string, ErrorCodeInfo]>;
  for (const [area, title] of Object.entries(ERROR_AREAS) as Array<[ErrorArea, string]>) {
    const rows = entries.filter(([, info]) => info.area === area);
    if (rows.length === 0) continue;
    lines.push(`## ${title}`, '', '| Code | Exit | Meaning |', '| --- | --- | --- |');
    for (const [code, info] of rows)
      lines.push(`| \`${code}\` | ${info.exit} (${EXIT_MEANING[info.exit]}) | ${cell(info.meaning)} |`);
    lines.push('');
  }
  lines.push(
    '## Findings of `mlops check`',
    '',
    '`mlops check --json` lists what it found in `problems[]`, each with one of these codes (or, for a model',
    'that does not load or run, the error code above, such as `RUNTIME_LOAD_FAILED`). A finding of severity',
    '`error` makes check exit 1.',
    '',
    '| Code | Severity | Stage | Meaning |',
    '| --- | --- | --- | --- |',
  );
  for (const [code, info] of Object.entries(FINDING_CODES) as Array<[string, FindingCodeInfo]>) {
    lines.push(`| \`${code}\` | ${info.severity} | ${info.stage} | ${cell(info.meaning)} |`);
  }
  lines.push('');
  return lines.join('\n');
}
