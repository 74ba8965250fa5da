/**
 * Reload a served registry reference when its alias moves (a promote or a
 * rollback from any process or machine): load the version it now points at in
 * the background, check it (sha256 by models/, then the signature against the
 * one served), warm it up, and swap it in; requests already holding the old
 * version finish on it. A version that fails any step is refused and the old
 * one keeps serving. Moves arrive from registry/watch.ts (LISTEN/NOTIFY on
 * PostgreSQL, polled history files on a folder).
 *
 * Only `name@alias` follows anything: `name@3` and files are fixed, and `name`
 * alone (latest) stays on the version that was latest at start, because
 * registering a version is not a decision to deploy it.
 */
import { parseRef } from '../registry/names.js';
import { type AliasMove, watchAliases } from '../registry/watch.js';
import { errorMessage } from '../util/errors.js';
import { incompatibilities } from './compatible.js';
import { type LiveVersion, loadVersion, type ServedModel, type ServeModelOptions } from './served-model.js';
import { warmUp } from './warm-up.js';

export interface ReloaderOptions {
  modelOptions: ServeModelOptions;
  log: (line: Record<string, unknown>) => void;
}

/** The alias a served reference follows, or undefined (a file, a fixed version, latest). */
export function followedAlias(model: ServedModel): { name: string; alias: string } | undefined {
  if (model.current.modelVersion === null) return undefined;
  const ref = parseRef(model.ref);
  return ref.selector.kind === 'alias' ? { name: ref.name, alias: ref.selector.alias } : undefined;
}

class ModelReloader {
  /** The latest move not yet acted on: moves that arrive during a reload collapse into the last one. */
  private wanted: AliasMove | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly model: ServedModel,
    private readonly registryName: string,
    private readonly options: ReloaderOptions,
    private readonly signal: AbortSignal,
  ) {}

  request(move: AliasMove): void {
    this.wanted = move;
    this.running ??= this.work().finally(() => {
      this.running = undefined;
    });
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async work(): Promise<void> {
    while (this.wanted && !this.signal.aborted) {
      const move = this.wanted;
      this.wanted = undefined;
      await this.reloadTo(move);
    }
  }

  private async reloadTo(move: AliasMove): Promise<void> {
    const from = this.model.current.modelVersion;
    if (move.to === from) return; // already serving it (the watch's initial line, a promote to the same version)
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    const ref = `${this.registryName}@${move.to}`;
    let next: LiveVersion | undefined;
    const base = {
      event: 'reload',
      model: this.model.name,
      ref: this.model.ref,
      alias: move.alias,
      action: move.action,
      from,
      to: move.to,
    };
    try {
      next = await loadVersion(ref, this.options.modelOptions);
      if (move.sha256 && next.sha256 !== move.sha256)
        throw new Error(`${ref} has sha256 ${next.sha256}, the registry's move says ${move.sha256}`);
      const problems = incompatibilities(this.model.current.signature, next.signature);
      if (problems.length) throw new Error(`${ref} is not compatible with version ${from}: ${problems.join('; ')}`);
      const warm = await warmUp(next);
      if (!warm.ok) throw new Error(`${ref} failed its warm-up inference: ${warm.error}`);
      if (this.signal.aborted) throw new Error('the server is shutting down');
      const swapped = this.model.swap(next);
      next = undefined; // the model owns it now
      const loadMs = ms();
      this.options.log({
        ...base,
        ok: true,
        ms: loadMs,
        ...('ms' in warm ? { warmup_ms: warm.ms } : { warmup: `skipped: ${warm.skipped}` }),
      });
      this.model.reported({ ok: true, alias: move.alias, from, to: move.to, ms: loadMs });
      await swapped; // the old version is released once its requests are answered
    } catch (err) {
      if (next) await Promise.all(next.runners.map((r) => r.release()));
      const error = errorMessage(err);
      this.options.log({ ...base, ok: false, ms: ms(), error, serving: this.model.current.modelVersion });
      this.model.reported({ ok: false, alias: move.alias, from, to: move.to, ms: ms(), error });
    }
  }
}

export interface RunningReloads {
  /** Stop watching; a reload under way finishes (or is dropped if not yet swapped in). */
  stop(): Promise<void>;
}

/** Watch every served `name@alias` and reload it when the alias moves; resolves once every watch is listening. */
export async function followAliases(models: ServedModel[], options: ReloaderOptions): Promise<RunningReloads> {
  const stop = new AbortController();
  const reloaders: ModelReloader[] = [];
  const watches: Promise<void>[] = [];
  try {
    for (const model of models) {
      const followed = followedAlias(model);
      if (!followed) continue;
      const reloader = new ModelReloader(model, followed.name, options, stop.signal);
      reloaders.push(reloader);
      await new Promise<void>((ready, fail) => {
        const watching = watchAliases({
          registry: options.modelOptions.registry,
          name: followed.name,
          // The event that put the alias where it is now comes first: a move made between
          // loading the first version and listening is not missed.
          initial: true,
          signal: stop.signal,
          onMove: (move) => {
            if (move.alias === followed.alias) reloader.request(move);
          },
          onError: (err) => options.log({ event: 'watch_error', model: model.name, error: errorMessage(err) }),
          onNote: (note) => options.log({ event: 'watch_note', model: model.name, note }),
          onReady: ready,
        });
        watching.catch(fail);
        watches.push(watching.catch(() => {}));
      });
    }
  } catch (err) {
    stop.abort();
    await Promise.all(watches);
    throw err;
  }
  return {
    async stop() {
      stop.abort();
      await Promise.all(watches);
      await Promise.all(reloaders.map((r) => r.idle()));
    },
  };
}
