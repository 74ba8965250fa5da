/** `--input-format csv|parquet`, one declaration for every command that reads tables. */
import type { TableFormat } from '../table/table-format.js';
import type { FlagSpec } from './flags.js';

// A type import only: the CLI layer loads no table code until a command runs.
const FORMATS: readonly TableFormat[] = ['csv', 'parquet'];

export const INPUT_FORMAT_FLAG: FlagSpec<TableFormat> = {
  flag: '--input-format <format>',
  help: 'read the tables as csv or parquet (default: Parquet when a file starts with PAR1, else CSV)',
  choices: FORMATS,
};
