import type {
  MigrateResult,
  AliasMoveResult,
  ArchiveResult,
  ChecklistRun,
  HistoryResult,
  ListResult,
  PolicyEvent,
  PolicyResult,
  PolicyView,
  RegisterResult,
  ShowResult,
  VerifyResult,
} from '../registry/index.js';
import { formatShape } from '../onnx/shape-text.js';
import { paint, type RenderOptions } from './style.js';
import { formatBytes, joinSections, renderFields, renderTable } from './table.js';

const short = (sha: string) => sha.slice(0, 12);
const day = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

export function renderRegister(result: RegisterResult, options: RenderOptions): string {
  const record = result;
  const head = result.duplicate
    ? `${paint(options, 'yellow', 'already registered')}: identical bytes are ${record.name}@${record.model_version} (pass --allow-duplicate for a new version)`
    : `${paint(options, 'green', 'registered')} ${record.name}@${record.model_version}${result.aliases.length ? ` (${result.aliases.join(', ')})` : ''}`;
  const move =
    result.duplicate && result.alias_move
      ? result.alias_move.changed
        ? `\n${paint(options, 'green', 'promoted')} ${record.name} ${result.alias_move.alias}: ${result.alias_move.from ?? '-'} -> ${result.alias_move.to}`
        : `\n${result.alias_move.alias} already points at ${result.alias_move.to}; nothing changed`
      : '';
  return `${head}${move}\n${renderFields(
    [
      ['sha256', record.sha256],
      ['size', formatBytes(record.size_bytes)],
      ['source', record.source_path],
    ],
    options,
  )}\n`;
}

export function renderList(result: ListResult, options: RenderOptions): string {
  if ('models' in result) {
    const damaged =
      result.damaged.map((d) => `${paint(options, 'red', 'damaged_history')} ${d.name}: ${d.message}\n`).join('') +
      (result.damaged_policies
        ? `${paint(options, 'red', 'damaged_policies')}: ${result.damaged_policies.message}\n`
        : '');
    if (result.models.length === 0)
      return damaged || 'no models registered yet (mlops registry register <name> <file.onnx>)\n';
    return (
      renderTable(
        ['model', 'versions', 'latest', 'aliases', 'updated'],
        result.models.map((m) => [
          m.name,
          m.versions,
          m.latest ?? '-',
          Object.entries(m.aliases)
            .map(([a, v]) => `${a}=${v}`)
            .join(', '),
          day(m.updated_at),
        ]),
        options,
      ) +
      '\n' +
      damaged
    );
  }
  return (
    renderTable(
      ['version', 'created', 'by', 'size', 'sha256', 'aliases', 'description'],
      result.versions.map((v) => [
        v.archived ? paint(options, 'dim', `${v.model_version} (archived)`) : String(v.model_version),
        day(v.created_at),
        v.created_by,
        formatBytes(v.size_bytes),
        short(v.sha256),
        v.aliases.join(', '),
        v.description,
      ]),
      options,
    ) + '\n'
  );
}

export function renderShow(r: ShowResult, options: RenderOptions): string {
  const fields: Array<[string, string | number]> = [
    ['model', `${r.name}@${r.model_version}${r.archived ? ' (archived)' : ''}`],
    ['aliases', r.aliases.join(', ') || '-'],
    ['description', r.description || '-'],
    ['sha256', r.sha256],
    ['size', formatBytes(r.size_bytes)],
    ['producer', r.producer || '-'],
    [
      'ir / opsets',
      `${r.ir_version} / ${Object.entries(r.opsets)
        .map(([d, v]) => `${d} ${v}`)
        .join(', ')}`,
    ],
    ['created', `${day(r.created_at)} by ${r.created_by}`],
    ['git commit', r.git_commit ?? '-'],
    ['parent', r.parent ? `${r.parent.name}@${r.parent.model_version}` : '-'],
    [
      'tags',
      Object.entries(r.tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || '-',
    ],
    [
      'metrics',
      Object.entries(r.metrics)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || '-',
    ],
    ['path', r.path],
    [
      'policies',
      r.policies.map((p) => `${policyName(p)}: ${gates(p)} (set by ${p.actor}, ${day(p.at)})`).join('\n') || '-',
    ],
  ];
  const io = [
    ...r.signature.inputs.map((v) => ['input', v.name, v.type, formatShape(v.shape)]),
    ...r.signature.outputs.map((v) => ['output', v.name, v.type, formatShape(v.shape)]),
  ];
  return `${joinSections([renderFields(fields, options), renderTable(['', 'name', 'type', 'shape'], io, options)], options)}\n`;
}

export function renderHistory(result: HistoryResult, options: RenderOptions): string {
  const rows = result.events.map((e) => {
    const what =
      e.type === 'register'
        ? `register ${e.model_version}`
        : e.type === 'archive'
          ? `archive ${e.model_version}`
          : `${e.action} ${e.alias}: ${e.from ?? '-'} -> ${e.to}${e.forced ? ` (${forcedPast(e.checklists ?? [])})` : e.checklists?.length ? ` (${checklistsPassed(e.checklists)})` : ''}`;
    return [e.seq, day(e.at), e.actor + (e.ci_url ? `\n${e.ci_url}` : ''), what, e.reason ?? ''];
  });
  const events = renderTable(['#', 'when', 'who', 'what', 'reason'], rows, options) + '\n';
  if (result.policy_events.length === 0) return events;
  return `${events}\nalias policies (registry-wide and for ${result.name}):\n${renderPolicyEvents(result.policy_events, options)}`;
}

function forcedPast(runs: ChecklistRun[]): string {
  const changed = runs.filter((r) => r.policy_sha256).map((r) => `${r.config} changed since the policy was set`);
  const failed = runs.some((r) => !r.passed) ? ['a failing checklist'] : [];
  return `forced past ${[...failed, ...changed].join(' and ') || 'a failing checklist'}`;
}

function checklistsPassed(runs: ChecklistRun[]): string {
  const changed = runs.filter((r) => r.policy_sha256).map((r) => r.config);
  return `${runs.length === 1 ? 'checklist' : `${runs.length} checklists`} passed${changed.length ? `; ${changed.join(', ')} changed since the policy was set` : ''}`;
}

function policyName(p: { alias: string; model: string | null }): string {
  return p.model === null ? p.alias : `${p.alias} (${p.model} only)`;
}

function gates(p: { require?: string[]; checklist?: { path: string; sha256: string } | null }): string {
  const parts = [
    ...(p.require?.length ? [`require ${p.require.join(', ')}`] : []),
    ...(p.checklist ? [`checklist ${p.checklist.path} (sha256 ${short(p.checklist.sha256)})`] : []),
  ];
  return parts.join('; ');
}

function renderPolicyEvents(events: PolicyEvent[], options: RenderOptions): string {
  return (
    renderTable(
      ['#', 'when', 'who', 'what', 'reason'],
      events.map((e) => [
        e.seq,
        day(e.at),
        e.actor + (e.ci_url ? `\n${e.ci_url}` : ''),
        e.action === 'clear' ? `clear ${policyName(e)}` : `set ${policyName(e)}: ${gates(e)}`,
        e.reason ?? '',
      ]),
      options,
    ) + '\n'
  );
}

export function renderPolicy(result: PolicyResult, options: RenderOptions): string {
  const e = result.event;
  const head = e
    ? `${paint(options, 'green', e.action === 'clear' ? 'cleared' : 'set')} the policy for ${policyName(e)}${e.action === 'set' ? `: ${gates(e)}` : ''}\n`
    : result.action === 'set'
      ? 'the policy already is so; nothing changed\n'
      : result.action === 'clear'
        ? 'no such policy; nothing changed\n'
        : '';
  if (result.policies.length === 0)
    return (
      head ||
      'no alias policy (set one: mlops registry policy production --require staging --checklist mlops.checklist.yml)\n'
    );
  return (
    head +
    renderTable(
      ['alias', 'model', 'gates', 'set by', 'when', 'reason'],
      result.policies.map((p: PolicyView) => [
        p.alias,
        p.model ?? 'all',
        gates(p).replace('; ', '\n'),
        p.actor + (p.ci_url ? `\n${p.ci_url}` : ''),
        day(p.at),
        p.reason ?? '',
      ]),
      options,
    ) +
    '\n'
  );
}

export function renderVerify(result: VerifyResult, options: RenderOptions): string {
  const lines = result.problems.map(
    (p) =>
      `${paint(options, p.severity === 'warning' ? 'yellow' : 'red', p.severity === 'warning' ? `warning: ${p.problem}` : p.problem)} ${p.name === null ? 'alias policies' : p.model_version === null ? p.name : `${p.name}@${p.model_version}`}: ${p.message}`,
  );
  const files = result.problems.filter((p) => p.problem === 'sha256_mismatch' || p.problem === 'missing_file').length;
  const histories = result.problems.filter((p) => p.problem === 'damaged_history').length;
  const unregistered = result.problems.filter((p) => p.problem === 'unregistered_folder').length;
  const verdict = result.passed
    ? `${paint(options, 'green', 'ok')}: ${result.checked} stored file${result.checked === 1 ? ' matches its' : 's match their'} sha256`
    : `${paint(options, 'red', 'FAILED')}: ${[
        `${files} of ${result.checked} stored files are damaged or missing`,
        ...(histories ? [`${histories} model${histories === 1 ? '' : 's'} with a damaged history (not checked)`] : []),
        ...(result.problems.some((p) => p.problem === 'damaged_policies')
          ? ['the alias policies (policies.jsonl) are damaged']
          : []),
        ...(unregistered
          ? [`${unregistered} version folder${unregistered === 1 ? '' : 's'} with no register event`]
          : []),
      ].join('; ')}`;
  return [...lines, verdict].join('\n') + '\n';
}

export function renderAliasMove(result: AliasMoveResult, options: RenderOptions): string {
  const verb = result.event?.action === 'rollback' ? 'rolled back' : 'promoted';
  if (!result.changed) return `${result.name}: ${result.alias} already points at ${result.to}; nothing changed\n`;
  return `${paint(options, 'green', verb)} ${result.name} ${result.alias}: ${result.from ?? '-'} -> ${result.to}${result.event?.forced ? paint(options, 'yellow', ' (forced past a failing gate)') : ''}\n`;
}

export function renderArchive(result: ArchiveResult): string {
  return result.changed
    ? `archived ${result.name}@${result.model_version}\n`
    : `${result.name}@${result.model_version} was already archived\n`;
}

export function renderMigrate(result: MigrateResult): string {
  if (result.store === 'folder') return `${result.registry} is a folder registry: it has no schema to migrate\n`;
  return result.migrated
    ? `migrated ${result.registry}: schema ${result.schema_from} -> ${result.schema_to}\n`
    : `${result.registry} is at schema ${result.schema_to}: nothing to migrate\n`;
}
