/**
 * What an MLflow client sends to `POST /invocations`, read into one of two
 * shapes: a table (header and rows of cell text, which then goes through the
 * same column mapping and cell rules as predict-batch) or tensors by input
 * name. The formats are MLflow's scoring server's: JSON with exactly one of
 * `dataframe_split`, `dataframe_records`, `instances`, `inputs` (plus an
 * optional `params`), or `text/csv`. Anything else is 415, as in MLflow.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { checkHeader as checkCsvHeader, checkLineEndings } from '../table/csv-head.js';
import { isMlopsError } from '../util/errors.js';
import { HttpError, parseJson } from './http-util.js';

/** Rows as predict-batch reads them: text cells under a header. */
export interface TableRequest {
  kind: 'table';
  header: string[];
  rows: string[][];
}

/** Nested arrays by model input (`name` undefined: the model's only input). */
export interface TensorRequest {
  kind: 'tensors';
  inputs: Array<{ name?: string; data: unknown[] }>;
}

export type InvocationsRequest = (TableRequest | TensorRequest) & {
  /** MLflow's inference `params`: an ONNX model takes none, so they are ignored (MLflow itself warns and ignores them). */
  paramsIgnored: boolean;
};

export const JSON_KEYS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;
const ALLOWED = `${JSON_KEYS.map((k) => `"${k}"`).join(', ')} (plus an optional "params")`;

/** Where the table's rows come from, in messages ("the request has no column ..."). */
export const REQUEST = 'the request';

/** 'json' or 'csv' from the Content-Type, else 415 (checked before the body is read). */
export function requestFormat(contentType: string | undefined): 'json' | 'csv' {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'text/csv') return 'csv';
  throw new HttpError(
    415,
    `/invocations takes application/json (with one of ${ALLOWED}) or text/csv (a header row, then rows); the request's content type is ${contentType ? JSON.stringify(contentType) : 'missing'}`,
  );
}

export function readInvocationsRequest(format: 'json' | 'csv', body: Buffer): InvocationsRequest {
  return format === 'csv' ? { ...csvTable(body), paramsIgnored: false } : jsonRequest(body);
}

/** The header rules of every CSV (a name per column, each once), in a request's words. */
function checkHeader(header: string[]): void {
  try {
    checkCsvHeader(REQUEST, header);
  } catch (err) {
    if (isMlopsError(err)) throw new HttpError(400, err.message.replace(`${REQUEST}:1: `, 'the header: '));
    throw err;
  }
}

function csvTable(body: Buffer): TableRequest {
  checkLineEndings(REQUEST, body.subarray(0, 64 * 1024));
  let records: string[][];
  try {
    records = parseCsv(body, { relax_column_count: true, skip_empty_lines: true, bom: true });
  } catch (err) {
    throw new HttpError(400, `the CSV body cannot be read: ${(err as Error).message}`);
  }
  if (records.length === 0) throw new HttpError(400, 'the CSV body is empty: send a header row, then rows');
  const [header, ...rows] = records;
  checkHeader(header);
  rows.forEach((row, r) => {
    if (row.length !== header.length)
      throw new HttpError(400, `row ${r + 1} has ${row.length} fields, the header has ${header.length}`);
  });
  return { kind: 'table', header, rows };
}

function jsonRequest(body: Buffer): InvocationsRequest {
  const doc = parseJson(body);
  if (!isObject(doc)) throw new HttpError(415, `the JSON body must be an object with exactly one of ${ALLOWED}`);
  const keys = Object.keys(doc);
  const given = JSON_KEYS.filter((k) => k in doc);
  const unknown = keys.filter((k) => !(JSON_KEYS as readonly string[]).includes(k) && k !== 'params');
  if (given.length !== 1 || unknown.length)
    throw new HttpError(
      415,
      `the JSON body must hold exactly one of ${ALLOWED}; it holds ${keys.length ? keys.map((k) => `"${k}"`).join(', ') : 'no key'}`,
    );
  const paramsIgnored = doc.params !== undefined && doc.params !== null;
  const key = given[0];
  const value = doc[key];
  let request: TableRequest | TensorRequest;
  if (key === 'dataframe_split') request = splitTable(value);
  else if (key === 'dataframe_records') request = recordsTable(value, '"dataframe_records"');
  else if (key === 'instances') request = instances(value);
  else request = inputs(value);
  return { ...request, paramsIgnored };
}

/** No columns and no rows: `invoke` answers `{"predictions": []}` before any mapping. */
const EMPTY_TABLE = (): TableRequest => ({ kind: 'table', header: [], rows: [] });

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON cell as the text a CSV would hold: null is a missing value, refused or not by the cell rules. */
function cellText(v: unknown, row: number, column: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  throw new HttpError(
    400,
    `row ${row + 1}: column "${column}": ${JSON.stringify(v).slice(0, 60)} is not a number, string, boolean or null`,
  );
}

/** pandas' split orient: {"columns": [...], "data": [[...], ...]} ("index" is ignored). */
function splitTable(value: unknown): TableRequest {
  if (!isObject(value) || !Array.isArray(value.columns) || !Array.isArray(value.data))
    throw new HttpError(400, '"dataframe_split" must be {"columns": [names], "data": [[row], ...]}');
  const header = value.columns.map((c) => String(c));
  checkHeader(header);
  const rows = value.data.map((row, r) => {
    if (!Array.isArray(row) || row.length !== header.length)
      throw new HttpError(
        400,
        `"dataframe_split" row ${r + 1} must be a list of ${header.length} values, one per column`,
      );
    return row.map((v, c) => cellText(v, r, header[c]));
  });
  return { kind: 'table', header, rows };
}

/** pandas' records orient: [{col: value}, ...]; the columns are every key, in first-seen order (a key a row lacks is a missing value). */
function recordsTable(value: unknown, what: string): TableRequest {
  if (!Array.isArray(value) || !value.every(isObject))
    throw new HttpError(400, `${what} must be a list of objects, one per row ({"column": value})`);
  const seen = new Set<string>();
  for (const record of value) for (const k of Object.keys(record)) seen.add(k);
  const header = [...seen];
  const rows = value.map((record, r) => header.map((c) => cellText(record[c], r, c)));
  return { kind: 'table', header, rows };
}

/**
 * TF-serving's row format: a list of objects (rows keyed by column or input
 * name: a table) or a list of values (rows of the model's only input: a tensor).
 */
function instances(value: unknown): TableRequest | TensorRequest {
  if (!Array.isArray(value)) throw new HttpError(400, '"instances" must be a list, one entry per row');
  // No rows is an empty DataFrame, as for every other format: 200 with no predictions.
  if (value.length === 0) return EMPTY_TABLE();
  if (value.every(isObject)) return recordsTable(value, '"instances"');
  return { kind: 'tensors', inputs: [{ data: value }] };
}

/**
 * TF-serving's columnar format: a list (the model's only input), or an object
 * by name. An object whose values are all flat lists of cells is a table by
 * column (per-column models, matrix models by feature name); one with nested
 * lists holds tensors by input name.
 */
function inputs(value: unknown): TableRequest | TensorRequest {
  if (Array.isArray(value)) return value.length === 0 ? EMPTY_TABLE() : { kind: 'tensors', inputs: [{ data: value }] };
  if (isObject(value) && Object.keys(value).length === 0) return EMPTY_TABLE();
  if (!isObject(value))
    throw new HttpError(400, '"inputs" must be a list (the model\'s only input) or an object of lists by name');
  const entries = Object.entries(value);
  for (const [name, v] of entries)
    if (!Array.isArray(v)) throw new HttpError(400, `"inputs"."${name}" must be a list, one entry per row`);
  const columns = entries as Array<[string, unknown[]]>;
  if (columns.every(([, v]) => v.every((x) => !Array.isArray(x) && !isObject(x)))) {
    const n = columns[0][1].length;
    const uneven = columns.find(([, v]) => v.length !== n);
    if (uneven)
      throw new HttpError(
        400,
        `"inputs"."${uneven[0]}" has ${uneven[1].length} values where "${columns[0][0]}" has ${n}: every column needs one per row`,
      );
    const header = columns.map(([name]) => name);
    const rows = Array.from({ length: n }, (_, r) => columns.map(([c, v]) => cellText(v[r], r, c)));
    return { kind: 'table', header, rows };
  }
  return { kind: 'tensors', inputs: columns.map(([name, data]) => ({ name, data })) };
}
