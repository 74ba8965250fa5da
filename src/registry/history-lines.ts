/**
 * The rules for reading `history.jsonl`: one JSON event per line. Only a last
 * line that does not parse is a torn append (a writer killed mid-write): a
 * complete event that merely lacks its final newline (a hand edit, a copy)
 * is kept, and the next writer adds the newline instead of cutting it.
 */
import { MlopsError } from '../util/errors.js';
import type { RegistryEvent } from './types.js';

/** A line of a model's history that is not an event: names the file and the line. */
export class HistoryDamagedError extends MlopsError {
  constructor(readonly file: string, readonly line: number, readonly reason: string) {
    super('REGISTRY_CORRUPT', `${file}:${line}: not a valid history event (${reason})`, {
      hint: 'the history file was edited by hand or damaged; restore it from a backup (other models are not affected)',
    });
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

/** Why a line is not an event, or null when it is one. */
function parseEvent(line: string): RegistryEvent | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    // V8 says "at position N" (0-based): a column reads better next to the line number.
    const message = (err as Error).message;
    const at = /\s*in JSON at position (\d+)/.exec(message);
    return at ? `not JSON at column ${Number(at[1]) + 1}: ${message.replace(at[0], '')}` : `not JSON: ${message}`;
  }
  const event = value as Partial<RegistryEvent> | null;
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return 'not a JSON object';
  if (typeof event.seq !== 'number' || typeof event.type !== 'string') return 'no "seq" number or "type"';
  return event as RegistryEvent;
}

export function parseHistory(text: string, file: string): ParsedHistory {
  const lines = text.split('\n');
  const tail = lines.pop()!; // after the last newline: empty, a torn append, or an event without its newline
  const events: RegistryEvent[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue; // a blank line (a hand edit) holds nothing to lose
    const parsed = parseEvent(line);
    if (typeof parsed === 'string') throw new HistoryDamagedError(file, i + 1, parsed);
    events.push(parsed);
  }
  const complete = Buffer.byteLength(text) - Buffer.byteLength(tail);
  if (tail === '') return { events, completeBytes: complete, torn: false, missingNewline: false };
  const last = parseEvent(tail);
  if (typeof last === 'string') return { events, completeBytes: complete, torn: true, missingNewline: false };
  return { events: [...events, last], completeBytes: Buffer.byteLength(text), torn: false, missingNewline: true };
}
