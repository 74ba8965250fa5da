/**
 * How two histories of the same model (or two policy histories) relate, for
 * `registry copy`: the target is a prefix of the source (copy the rest), the
 * target already extends the source (nothing to copy), or they split at some
 * event (refused). Events are compared as data, not as text: a database hands
 * back the JSON it was given, a history file may space it differently.
 */
import type { PolicyEvent, RegistryEvent } from './types.js';

type AnyEvent = RegistryEvent | PolicyEvent;

export type Relation =
  /** `present` events of the source are already in the target; the rest is to copy. */
  | { kind: 'prefix'; present: number }
  /** The target holds every source event and more: nothing to copy. */
  | { kind: 'ahead'; present: number }
  /** They differ at index `at` (seq `at + 1`). */
  | { kind: 'diverged'; at: number };

/** Compare from index `from` on (what is before it was compared already: histories only grow). */
export function relate(source: readonly AnyEvent[], target: readonly AnyEvent[], from = 0): Relation {
  const common = Math.min(source.length, target.length);
  for (let i = from; i < common; i++) if (!sameEvent(source[i], target[i])) return { kind: 'diverged', at: i };
  return target.length > source.length
    ? { kind: 'ahead', present: source.length }
    : { kind: 'prefix', present: target.length };
}

export function sameEvent(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** JSON with keys sorted at every level, so key order never makes two equal events differ. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Seqs must run 1, 2, 3...: copying keeps them, and a gap would make the copy a different history. */
export function firstSeqGap(events: readonly AnyEvent[]): number | null {
  const i = events.findIndex((e, n) => e.seq !== n + 1);
  return i < 0 ? null : i;
}

/** One line about an event, for a message naming where two histories split. */
export function describeEvent(event: AnyEvent | undefined): string {
  if (!event) return 'nothing';
  const who = `by ${event.actor} at ${event.at}`;
  switch (event.type) {
    case 'register':
      return `register of version ${event.version} (sha256 ${event.record.sha256.slice(0, 12)}...) ${who}`;
    case 'archive':
      return `archive of version ${event.version} ${who}`;
    case 'alias':
      return `${event.action} of "${event.alias}" ${event.from ?? 'none'} -> ${event.to} ${who}`;
    case 'policy':
      return `${event.action} of the "${event.alias}" policy${event.model ? ` for ${event.model}` : ''} ${who}`;
    default:
      return `event ${who}`;
  }
}
