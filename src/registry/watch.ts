/**
 * `registry watch`: alias moves as they happen, for a long-lived reader (a
 * server that reloads `fraud@production`, a deploy bot).
 *
 * The store's change notices (LISTEN/NOTIFY on PostgreSQL, polled history
 * files on a folder) only say "this model may have changed": the events
 * themselves are always read from the history, after the last seq seen per
 * model. So a lost notice, a reconnect or a burst of moves costs a re-read,
 * never a missed or doubled line.
 *
 * Where a model starts: one present when the watch starts is followed from its
 * current end (`initial` replays the event that put each alias where it is
 * now); one that appears later is followed from its first event, since every
 * event of it happened after the watch started.
 */
import { openStore, type RegistryOptions } from './context.js';
import { validateName } from './names.js';
import { foldHistory } from './state.js';
import type { RegistryStore } from './store.js';
import type { AliasEvent, RegistryEvent } from './types.js';

/** One line of `registry watch`: an alias of a model now points at a version. */
export interface AliasMove {
  type: 'alias_move';
  name: string;
  alias: string;
  action: 'promote' | 'rollback';
  /** The version the alias pointed at before (null: it is new). */
  from: number | null;
  /** The version it points at now: load `name@to`. */
  to: number;
  /** sha256 of that version's bytes (a reloader can skip identical bytes). */
  sha256: string | null;
  /** The event's position in the model's history. */
  seq: number;
  at: string;
  actor: string;
  host: string;
  ci_url?: string;
  reason?: string;
  forced?: boolean;
  /** True for the lines `initial` prints at start: where each alias points, not a move seen happening. */
  initial: boolean;
}

export interface WatchOptions extends RegistryOptions {
  /** Only this model (it may not exist yet: the watch waits for it). */
  name?: string;
  /** First report where every alias points now (the event that put it there), then the moves. */
  initial?: boolean;
  /** Ends the watch; the promise then resolves. */
  signal: AbortSignal;
  onMove: (move: AliasMove) => void;
  /** Trouble the watch survives (a lost connection, a failed read): it retries and re-reads. */
  onError?: (err: unknown) => void;
  /** Things a person watching may want to know (waiting for a model, caught up after trouble). */
  onNote?: (message: string) => void;
  /** The start is read (and `initial` reported): every move from now on is reported. */
  onReady?: () => void;
}

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;

function aliasMove(event: AliasEvent, name: string, sha256: string | null, initial: boolean): AliasMove {
  return {
    type: 'alias_move',
    name,
    alias: event.alias,
    action: event.action,
    from: event.from,
    to: event.to,
    sha256,
    seq: event.seq,
    at: event.at,
    actor: event.actor,
    host: event.host,
    ...(event.ci_url ? { ci_url: event.ci_url } : {}),
    ...(event.reason ? { reason: event.reason } : {}),
    ...(event.forced ? { forced: true } : {}),
    initial,
  };
}

/** The sha256 of each registered version, from the register events. */
function hashes(events: readonly RegistryEvent[]): Map<number, string> {
  const found = new Map<number, string>();
  for (const e of events) if (e.type === 'register') found.set(e.version, e.record.sha256);
  return found;
}

/**
 * Report alias moves until `signal` aborts. Rejects only when the watch cannot
 * start (the registry is not there, the server cannot be reached, a bad name);
 * afterwards, trouble goes to `onError` and the watch carries on.
 */
export async function watchAliases(options: WatchOptions): Promise<void> {
  const { signal, onMove } = options;
  const only = options.name === undefined ? undefined : validateName(options.name);
  const store = openStore(options);
  /** Per model, the last seq reported (or skipped as "before the watch"). */
  const seen = new Map<string, number>();

  // The start: where every model is now. This read also fails early, with the usual
  // error, when the registry folder does not exist or the server cannot be reached.
  const names = only ? [only] : await store.listModels();
  for (const name of names) {
    const events = await store.readHistory(name);
    seen.set(name, events.at(-1)?.seq ?? 0);
    if (options.initial) reportCurrent(name, events, onMove);
  }
  if (only && (seen.get(only) ?? 0) === 0)
    options.onNote?.(`model "${only}" is not in the registry at ${store.location} yet: waiting for it`);
  if (signal.aborted) return;
  options.onReady?.();

  const reader = new CatchUp(store, seen, only, options);
  // The store calls onChange(null) once it is listening, so a move made between the read
  // above and the start of listening is read then.
  await store.watchChanges(
    (changed) => reader.request(changed),
    signal,
    (err) => {
      reader.troubled = true;
      options.onError?.(err);
    },
  );
  await reader.stopped();
}

/** For `initial`: the event that set each current alias, in history order. */
function reportCurrent(name: string, events: readonly RegistryEvent[], onMove: (move: AliasMove) => void): void {
  const state = foldHistory(name, events);
  const setters = new Map<string, AliasEvent>();
  for (const e of events) if (e.type === 'alias' && state.aliases.get(e.alias) === e.to) setters.set(e.alias, e);
  const sha = hashes(events);
  for (const e of [...setters.values()].sort((a, b) => a.seq - b.seq))
    onMove(aliasMove(e, name, sha.get(e.to) ?? null, true));
}

/**
 * Reads the histories the notices name, one read at a time, so lines come out in
 * history order per model. A failed read is retried (with backoff) on every
 * model, until a read succeeds.
 */
class CatchUp {
  /** Models to read again; `all` when a notice said "anything may have changed". */
  private pending = new Set<string>();
  private all = false;
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = RETRY_FIRST_MS;
  /** Something went wrong since the last complete read: say when the watch has caught up. */
  troubled = false;

  constructor(
    private readonly store: RegistryStore,
    private readonly seen: Map<string, number>,
    private readonly only: string | undefined,
    private readonly options: WatchOptions,
  ) {
    options.signal.addEventListener('abort', () => clearTimeout(this.retryTimer), { once: true });
  }

  request(changed: string[] | null): void {
    if (this.options.signal.aborted) return;
    if (changed === null) this.all = true;
    else for (const name of changed) if (!this.only || name === this.only) this.pending.add(name);
    if (!this.all && this.pending.size === 0) return;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
      // A notice that came in as the last read ended is not left waiting for the next one.
      if ((this.all || this.pending.size) && !this.retryTimer) this.request(null);
    });
  }

  /** Resolves once no read is under way (the watch has ended). */
  async stopped(): Promise<void> {
    clearTimeout(this.retryTimer);
    await this.running;
  }

  private async drain(): Promise<void> {
    while ((this.all || this.pending.size) && !this.options.signal.aborted) {
      const everything = this.all;
      const names = [...this.pending];
      this.all = false;
      this.pending.clear();
      try {
        const targets = everything ? (this.only ? [this.only] : await this.store.listModels()) : names;
        for (const name of targets) {
          if (this.options.signal.aborted) return;
          await this.readModel(name);
        }
        this.retryDelay = RETRY_FIRST_MS;
        if (this.troubled) {
          this.troubled = false;
          this.options.onNote?.(`caught up with the registry at ${this.store.location}`);
        }
      } catch (err) {
        this.troubled = true;
        this.options.onError?.(err);
        // Whatever this read missed is read again: every model, after a pause.
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.request(null);
        }, this.retryDelay);
        this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
        return;
      }
    }
  }

  private async readModel(name: string): Promise<void> {
    const events = await this.store.readHistory(name);
    const after = this.seen.get(name) ?? 0;
    const fresh = events.filter((e) => e.seq > after);
    if (fresh.length === 0) return;
    const sha = hashes(events);
    for (const e of fresh) {
      if (e.type === 'alias') this.options.onMove(aliasMove(e, name, sha.get(e.to) ?? null, false));
      this.seen.set(name, e.seq);
    }
  }
}
