/** `registry copy`: what was copied per model, what was already there, what was refused. */
import type { CopyResult, ModelCopy, PolicyCopy } from '../registry/copy.js';
import { paint, type RenderOptions } from './style.js';
import { formatBytes, renderTable } from './table.js';

const STATUS: Record<ModelCopy['status'], { done: string; planned: string }> = {
  copied: { done: 'copied', planned: 'to copy' },
  up_to_date: { done: 'already there', planned: 'already there' },
  target_ahead: { done: 'target is ahead', planned: 'target is ahead' },
  refused: { done: 'REFUSED', planned: 'REFUSED' },
};

export function renderCopy(result: CopyResult, options: RenderOptions): string {
  const planned = result.dry_run;
  const status = (s: ModelCopy['status']) => {
    const text = planned ? STATUS[s].planned : STATUS[s].done;
    return s === 'refused' ? paint(options, 'red', text) : s === 'copied' ? paint(options, 'green', text) : text;
  };
  const rows = result.models.map((m) => [
    m.name,
    status(m.status),
    `${m.events_copied}`,
    `${m.versions_copied}`,
    formatBytes(m.bytes_copied),
    `${m.events_present}`,
  ]);
  const head = ['model', 'status', planned ? 'events to copy' : 'events copied', 'versions', 'bytes', 'already there'];
  const { copied } = result;
  const verb = planned ? 'would copy' : 'copied';
  const nothing = copied.events === 0 && result.policies.events_copied === 0;
  const summary = nothing
    ? `${planned ? 'dry run: ' : ''}nothing to copy from ${result.from} to ${result.to}${result.refused.length ? '' : ': everything is already there'}`
    : `${planned ? 'dry run: ' : ''}${verb} ${copied.events} event${copied.events === 1 ? '' : 's'} (${copied.versions} version${copied.versions === 1 ? '' : 's'}, ${formatBytes(copied.bytes)}) of ${copied.models} model${copied.models === 1 ? '' : 's'} from ${result.from} to ${result.to}`;
  const refused = result.refused.length
    ? `${paint(options, 'red', 'refused')}: ${result.refused.map((r) => r.name ?? 'alias policies').join(', ')} (see the errors)`
    : undefined;
  return [
    ...(rows.length ? [renderTable(head, rows, options, ['left', 'left', 'right', 'right', 'right', 'right'])] : []),
    `alias policies: ${policyLine(result.policies, planned)}`,
    summary,
    ...(refused ? [refused] : []),
  ]
    .join('\n')
    .concat('\n');
}

function policyLine(p: PolicyCopy, planned: boolean): string {
  switch (p.status) {
    case 'copied':
      return `${planned ? 'would copy' : 'copied'} ${p.events_copied} change${p.events_copied === 1 ? '' : 's'} (${p.events_present} already there)`;
    case 'up_to_date':
      return p.events_present
        ? `already there (${p.events_present} change${p.events_present === 1 ? '' : 's'})`
        : 'none';
    case 'target_ahead':
      return 'the target has every change and more';
    default:
      return 'REFUSED';
  }
}
