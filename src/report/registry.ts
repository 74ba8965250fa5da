import type { AliasMoveResult, ArchiveResult, HistoryResult, ListResult, RegisterResult, ShowResult, VerifyResult } from '../registry/index.js';
import { formatShape } from '../onnx/graph.js';
import { paint, type RenderOptions } from './style.js';
import { formatBytes, renderFields, renderTable } from './table.js';

const short = (sha: string) => sha.slice(0, 12);
const day = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

export function renderRegister(result: RegisterResult, options: RenderOptions): string {
  const { record } = result;
  const head = result.duplicate
    ? `${paint(options, 'yellow', 'already registered')}: identical bytes are ${record.name}@${record.version} (pass --allow-duplicate for a new version)`
    : `${paint(options, 'green', 'registered')} ${record.name}@${record.version}${result.aliases.length ? ` (${result.aliases.join(', ')})` : ''}`;
  return `${head}\n${renderFields([['sha256', record.sha256], ['size', formatBytes(record.size_bytes)], ['source', record.source_path]], options)}\n`;
}

export function renderList(result: ListResult, options: RenderOptions): string {
  if ('models' in result) {
    const damaged = result.damaged.map((d) => `${paint(options, 'red', 'damaged_history')} ${d.name}: ${d.message}\n`).join('');
    if (result.models.length === 0) return damaged || 'no models registered yet (mlops registry register <name> <file.onnx>)\n';
    return renderTable(['model', 'versions', 'latest', 'aliases', 'updated'], result.models.map((m) => [
      m.name, m.versions, m.latest ?? '-', Object.entries(m.aliases).map(([a, v]) => `${a}=${v}`).join(', '), day(m.updated_at),
    ]), options) + '\n' + damaged;
  }
  return renderTable(['version', 'created', 'by', 'size', 'sha256', 'aliases', 'description'], result.versions.map((v) => [
    v.archived ? paint(options, 'dim', `${v.version} (archived)`) : String(v.version),
    day(v.created_at), v.created_by, formatBytes(v.size_bytes), short(v.sha256), v.aliases.join(', '), v.description,
  ]), options) + '\n';
}

export function renderShow(r: ShowResult, options: RenderOptions): string {
  const fields: Array<[string, string | number]> = [
    ['model', `${r.name}@${r.version}${r.archived ? ' (archived)' : ''}`],
    ['aliases', r.aliases.join(', ') || '-'],
    ['description', r.description || '-'],
    ['sha256', r.sha256],
    ['size', formatBytes(r.size_bytes)],
    ['producer', r.producer || '-'],
    ['ir / opsets', `${r.ir_version} / ${Object.entries(r.opsets).map(([d, v]) => `${d} ${v}`).join(', ')}`],
    ['created', `${day(r.created_at)} by ${r.created_by}`],
    ['git commit', r.git_commit ?? '-'],
    ['parent', r.parent ? `${r.parent.name}@${r.parent.version}` : '-'],
    ['tags', Object.entries(r.tags).map(([k, v]) => `${k}=${v}`).join(', ') || '-'],
    ['metrics', Object.entries(r.metrics).map(([k, v]) => `${k}=${v}`).join(', ') || '-'],
    ['path', r.path],
  ];
  const io = [
    ...r.signature.inputs.map((v) => ['input', v.name, v.type, formatShape(v.shape)]),
    ...r.signature.outputs.map((v) => ['output', v.name, v.type, formatShape(v.shape)]),
  ];
  return `${renderFields(fields, options)}\n${renderTable(['', 'name', 'type', 'shape'], io, options)}\n`;
}

export function renderHistory(result: HistoryResult, options: RenderOptions): string {
  const rows = result.events.map((e) => {
    const what = e.type === 'register' ? `register ${e.version}`
      : e.type === 'archive' ? `archive ${e.version}`
      : `${e.action} ${e.alias}: ${e.from ?? '-'} -> ${e.to}${e.forced ? ' (forced past a failing checklist)' : e.checklist ? ' (checklist passed)' : ''}`;
    return [e.seq, day(e.at), e.actor + (e.ci_url ? `\n${e.ci_url}` : ''), what, e.reason ?? ''];
  });
  return renderTable(['#', 'when', 'who', 'what', 'reason'], rows, options) + '\n';
}

export function renderVerify(result: VerifyResult, options: RenderOptions): string {
  const lines = result.problems.map((p) => `${paint(options, p.problem === 'unregistered_folder' ? 'yellow' : 'red', p.problem)} ${p.version === null ? p.name : `${p.name}@${p.version}`}: ${p.message}`);
  const files = result.problems.filter((p) => p.problem === 'sha256_mismatch' || p.problem === 'missing_file').length;
  const histories = result.problems.filter((p) => p.problem === 'damaged_history').length;
  const verdict = result.passed
    ? `${paint(options, 'green', 'ok')}: ${result.checked} stored file${result.checked === 1 ? '' : 's'} match their sha256`
    : `${paint(options, 'red', 'FAILED')}: ${[
      `${files} of ${result.checked} stored files are damaged or missing`,
      ...(histories ? [`${histories} model${histories === 1 ? '' : 's'} with a damaged history (not checked)`] : []),
    ].join('; ')}`;
  return [...lines, verdict].join('\n') + '\n';
}

export function renderAliasMove(result: AliasMoveResult, options: RenderOptions): string {
  const verb = result.event?.action === 'rollback' ? 'rolled back' : 'promoted';
  if (!result.changed) return `${result.name}: ${result.alias} already points at ${result.to}; nothing changed\n`;
  return `${paint(options, 'green', verb)} ${result.name} ${result.alias}: ${result.from ?? '-'} -> ${result.to}${result.event?.forced ? paint(options, 'yellow', ' (forced past a failing gate)') : ''}\n`;
}

export function renderArchive(result: ArchiveResult): string {
  return result.changed ? `archived ${result.name}@${result.version}\n` : `${result.name}@${result.version} was already archived\n`;
}
