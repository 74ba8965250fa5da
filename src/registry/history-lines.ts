/**
 * The rules for reading `history.jsonl` (and `policies.jsonl`): one JSON event
 * per line, with every field its type needs (a line that lacks one is damage,
 * named by file and line, never a crash). Only a last line that does not
 * parse as JSON at all is a torn append (a writer killed mid-write): a
 * complete event that merely lacks its final newline (a hand edit, a copy)
 * is kept, and the next writer adds the newline instead of cutting it.
 */
import { MlopsError } from '../util/errors.js';
import type { RegistryEvent } from './types.js';

/** Which file a damaged line is in: a model's history, or the registry-wide policy history. */
export type HistoryKind = 'model' | 'policies';

/** A line of a model's (or the policy) history that is not an event: names the file and the line. */
export class HistoryDamagedError extends MlopsError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
    readonly kind: HistoryKind = 'model',
  ) {
    super(
      'REGISTRY_CORRUPT',
      `${file}:${line}: not a valid ${kind === 'model' ? 'history' : 'alias policy'} event (${reason})`,
      {
        hint:
          kind === 'model'
            ? 'the history file was edited by hand or damaged; restore it from a backup (other models are not affected)'
            : 'the alias policies of every model are unreadable, so no gated promotion can pass; restore policies.jsonl from a backup (rollback still works)',
      },
    );
  }
}

export function isHistoryDamaged(err: unknown): err is HistoryDamagedError {
  return err instanceof HistoryDamagedError;
}

export interface ParsedHistory {
  events: RegistryEvent[];
  /** Bytes of the file that hold complete events (a torn tail starts here). */
  completeBytes: number;
  /** A torn last line: the next writer cuts it off. */
  torn: boolean;
  /** The last event is complete but has no newline: the next writer adds one. */
  missingNewline: boolean;
}

const isInt = (v: unknown, min = 1): v is number => Number.isSafeInteger(v) && (v as number) >= min;
const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** Why an object is not a valid event of this kind (every field a reader relies on), or null. */
function invalidEvent(e: Record<string, unknown>, kind: HistoryKind): string | null {
  if (!isInt(e.seq)) return `"seq" must be a positive integer, found ${JSON.stringify(e.seq)}`;
  return invalidFields(e, kind) ?? (typeof e.at === 'string' ? null : '"at" (a time) is missing');
}

function invalidFields(e: Record<string, unknown>, kind: HistoryKind): string | null {
  if (kind === 'policies') {
    if (e.type !== 'policy') return `"type" must be "policy" in the policy history, found ${JSON.stringify(e.type)}`;
    if (e.action !== 'set' && e.action !== 'clear')
      return `"action" must be "set" or "clear", found ${JSON.stringify(e.action)}`;
    if (!isText(e.alias)) return '"alias" must be a name';
    if (e.model !== null && !isText(e.model)) return '"model" must be a model name or null';
    if (e.require !== undefined && !(Array.isArray(e.require) && e.require.every(isText)))
      return '"require" must be a list of alias names';
    const c = e.checklist as Record<string, unknown> | null | undefined;
    if (
      c !== undefined &&
      c !== null &&
      !(typeof c === 'object' && isText(c.path) && typeof c.sha256 === 'string' && /^[0-9a-f]{64}$/.test(c.sha256))
    )
      return '"checklist" must have a "path" and the sha256 (64 hex digits) of the file when the policy was set';
    return null;
  }
  switch (e.type) {
    case 'register': {
      if (!isInt(e.version)) return `a register event needs an integer "version", found ${JSON.stringify(e.version)}`;
      const r = e.record as Record<string, unknown> | undefined;
      if (typeof r !== 'object' || r === null || Array.isArray(r)) return 'a register event needs a "record" object';
      if (!isText(r.name) || typeof r.sha256 !== 'string' || r.version !== e.version)
        return 'its "record" needs "name", "sha256" and the same "version"';
      // Both name a file on every reader's disk (the stored file, the cache): nothing may lead elsewhere.
      if (!/^[0-9a-f]{64}$/.test(r.sha256)) return 'its "record" needs a "sha256" of 64 hex digits';
      if (r.file !== undefined && !(isText(r.file) && /^[^/\\]+$/.test(r.file) && r.file !== '..' && r.file !== '.'))
        return 'its "record" "file" must be a plain file name';
      return null;
    }
    case 'alias':
      if (!isText(e.alias)) return 'an alias event needs an "alias" name';
      if (e.action !== 'promote' && e.action !== 'rollback')
        return `"action" must be "promote" or "rollback", found ${JSON.stringify(e.action)}`;
      if (!isInt(e.to)) return `an alias event needs an integer "to", found ${JSON.stringify(e.to)}`;
      if (e.from !== null && !isInt(e.from))
        return `"from" must be an integer or null, found ${JSON.stringify(e.from)}`;
      return null;
    case 'archive':
      return isInt(e.version)
        ? null
        : `an archive event needs an integer "version", found ${JSON.stringify(e.version)}`;
    default:
      return `unknown event type ${JSON.stringify(e.type)}`;
  }
}

/** The event a line holds; 'torn' when it is not JSON at all; otherwise why it is not an event. */
function parseEvent(line: string, kind: HistoryKind): RegistryEvent | { torn: string } | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    // V8 says "at position N" (0-based): a column reads better next to the line number.
    const message = (err as Error).message;
    const at = /\s*in JSON at position (\d+)/.exec(message);
    return {
      torn: at ? `not JSON at column ${Number(at[1]) + 1}: ${message.replace(at[0], '')}` : `not JSON: ${message}`,
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  return invalidEvent(value as Record<string, unknown>, kind) ?? (value as RegistryEvent);
}

/**
 * Events that come as values rather than lines (a database's rows), checked by the
 * same rules: a row that is not an event is damage, named by `where` and its seq.
 */
export function checkEvents<T>(values: unknown[], where: string, kind: HistoryKind = 'model'): T[] {
  values.forEach((value, i) => {
    const why =
      typeof value !== 'object' || value === null || Array.isArray(value)
        ? 'not a JSON object'
        : invalidEvent(value as Record<string, unknown>, kind);
    if (why) throw new HistoryDamagedError(where, i + 1, why, kind);
  });
  return values as T[];
}

export function parseHistory(text: string, file: string, kind: HistoryKind = 'model'): ParsedHistory {
  const lines = text.split('\n');
  const tail = lines.pop()!; // after the last newline: empty, a torn append, or an event without its newline
  const events: RegistryEvent[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue; // a blank line (a hand edit) holds nothing to lose
    const parsed = parseEvent(line, kind);
    if (typeof parsed === 'string') throw new HistoryDamagedError(file, i + 1, parsed, kind);
    if ('torn' in parsed) throw new HistoryDamagedError(file, i + 1, parsed.torn, kind);
    events.push(parsed);
  }
  const complete = Buffer.byteLength(text) - Buffer.byteLength(tail);
  if (tail === '') return { events, completeBytes: complete, torn: false, missingNewline: false };
  const last = parseEvent(tail, kind);
  // Only a last line that is not JSON at all is a torn append; JSON that is not an event is damage.
  if (typeof last === 'string') throw new HistoryDamagedError(file, lines.length + 1, last, kind);
  if ('torn' in last) return { events, completeBytes: complete, torn: true, missingNewline: false };
  return { events: [...events, last], completeBytes: Buffer.byteLength(text), torn: false, missingNewline: true };
}
