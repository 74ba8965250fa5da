/**
 * The registry in PostgreSQL (`--registry postgres://...`): the same events as
 * the folder store's history.jsonl, as rows; model bytes as chunked,
 * content-addressed blobs. A write is one transaction: the blob's chunks go in
 * first, then the registry-wide advisory lock is taken, the state re-read,
 * checked and changed, and everything commits together. A killed client's
 * transaction is rolled back by the server: nothing to clean, nothing visible.
 *
 * `pg` is imported on first use, so a folder registry never loads it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { Client, Pool, PoolClient, QueryResultRow } from 'pg';
import { isMlopsError, MlopsError } from '../../util/errors.js';
import { failpoint } from '../../util/failpoint.js';
import { sha256File } from '../../util/hash.js';
import type { RegistryStore, SchemaStatus, StagedFile, StoredFolder, StoredRecord } from '../store.js';
import type { NewEvent, NewPolicyEvent, PolicyEvent, RegistryEvent, VersionRecord } from '../types.js';
import { blobChunks, blobSha256, uploadBlob } from './blobs.js';
import { type ConnectionSettings, connectionSettings, tlsOptions } from './connection.js';
import { cachedPath, ensureCached } from './model-cache.js';
import { isConnectionLoss, isRetryable, pgError } from './pg-errors.js';
import {
  CHANGES_CHANNEL,
  LOCK_NAMESPACE,
  migrate,
  SCHEMA_VERSION,
  schemaNewer,
  schemaOld,
  schemaVersion,
  WRITE_LOCK,
} from './schema.js';

/** A transaction that fails with a serialization failure or deadlock is run again, this many times in all. */
const ATTEMPTS = 4;
/**
 * Server-side limits, so no statement, lock wait or abandoned transaction hangs forever.
 * MLOPS_PG_STATEMENT_TIMEOUT_MS, MLOPS_PG_LOCK_TIMEOUT_MS and MLOPS_PG_IDLE_TIMEOUT_MS
 * override them (a site with very large models, or a test that must not wait a minute).
 */
export function serverTimeouts(env: NodeJS.ProcessEnv = process.env) {
  const ms = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return env[name] && Number.isInteger(value) && value > 0 ? value : fallback;
  };
  return {
    statement_timeout: ms('MLOPS_PG_STATEMENT_TIMEOUT_MS', 120_000),
    lock_timeout: ms('MLOPS_PG_LOCK_TIMEOUT_MS', 60_000),
    idle_in_transaction_session_timeout: ms('MLOPS_PG_IDLE_TIMEOUT_MS', 60_000),
  };
}

type PgModule = typeof import('pg');

/** How often a watch's idle LISTEN connection checks that the server still answers. */
const HEARTBEAT_MS = 15_000;

export class PostgresStore implements RegistryStore {
  readonly settings: ConnectionSettings;
  private poolPromise: Promise<Pool> | undefined;
  private pgModule: Promise<PgModule> | undefined;
  /** The transaction client of the `withLock` this call runs in, if any. */
  private readonly tx = new AsyncLocalStorage<PoolClient>();
  /** Source paths of staged files: the bytes are read again inside the write transaction. */
  private readonly staged = new Map<string, string>();
  private checked: Promise<number> | undefined;
  /**
   * Why the server ended a checked-out client's session (an idle-in-transaction timeout, an
   * administrator's terminate): the next query only says "not queryable", this says why.
   */
  private readonly lostWith = new WeakMap<PoolClient, unknown>();

  constructor(url: string) {
    this.settings = connectionSettings(url);
  }

  get location(): string {
    return this.settings.display;
  }

  private pg(): Promise<PgModule> {
    this.pgModule ??= import('pg').then((m) => (m as unknown as { default: PgModule }).default ?? m);
    return this.pgModule;
  }

  private clientConfig(ssl: false | Record<string, unknown>) {
    const s = this.settings;
    return {
      host: s.host,
      port: s.port,
      user: s.user,
      database: s.database,
      password: s.password ?? '',
      ssl,
      ...(s.options ? { options: s.options } : {}),
      application_name: 'mlops',
      connectionTimeoutMillis: 10_000,
      ...serverTimeouts(),
    };
  }

  /** libpq's prefer/allow: TLS when the server offers it, plain otherwise. */
  private async chooseTls(): Promise<false | Record<string, unknown>> {
    const tls = tlsOptions(this.settings);
    if (tls === false || (this.settings.sslMode !== 'prefer' && this.settings.sslMode !== 'allow')) return tls;
    const pg = await this.pg();
    const probe = new pg.Client(this.clientConfig(tls));
    try {
      await probe.connect();
      return tls;
    } catch (err) {
      // libpq's prefer retries without TLS when the TLS attempt fails, whatever the reason.
      if (/SSL|TLS/i.test((err as Error).message ?? '')) return false;
      throw err;
    } finally {
      await probe.end().catch(() => {});
    }
  }

  private pool(): Promise<Pool> {
    this.poolPromise ??= (async () => {
      const pg = await this.pg();
      const pool = new pg.Pool({ ...this.clientConfig(await this.chooseTls()), max: 4, allowExitOnIdle: true });
      // An idle client whose server went away must not crash the process; the next query reports it.
      pool.on('error', () => {});
      return pool;
    })().catch((err) => {
      this.poolPromise = undefined;
      throw pgError(err, this.settings, 'connecting');
    });
    return this.poolPromise;
  }

  /**
   * A client of our own from the pool. A checked-out client whose server goes away emits
   * 'error' (the pool listens to idle clients only): without a listener that is an uncaught
   * exception and a stack trace; with one, the query in flight fails and pgError says what happened.
   */
  private async checkOut(pool?: Pool): Promise<PoolClient> {
    const client = await (pool ?? (await this.pool())).connect().catch((err) => {
      throw pgError(err, this.settings, 'connecting');
    });
    if (client.listenerCount('error') === 0)
      client.on('error', (err) => {
        if (!this.lostWith.has(client)) this.lostWith.set(client, err);
      });
    return client;
  }

  /** A query on the current transaction, or on the pool. */
  private async q<R extends QueryResultRow>(text: string, values: unknown[], doing: string): Promise<R[]> {
    const client = this.tx.getStore();
    const db = client ?? (await this.pool());
    try {
      return (await db.query<R>(text, values)).rows;
    } catch (err) {
      throw pgError((client && this.lostWith.get(client)) ?? err, this.settings, doing);
    }
  }

  /** The schema this database has: 0 (empty) or SCHEMA_VERSION; anything else is refused. */
  private schemaReady(): Promise<number> {
    this.checked ??= (async () => {
      const pool = await this.pool();
      const found = await schemaVersion(pool).catch((err) => {
        throw pgError(err, this.settings, 'reading the registry schema');
      });
      if (found > SCHEMA_VERSION) throw schemaNewer(found, this.location);
      if (found !== 0 && found < SCHEMA_VERSION) throw schemaOld(found, this.location);
      return found;
    })();
    // An empty database is looked at again next time: a long-lived reader (watch, a server)
    // must see the tables another process creates with its first write.
    this.checked.then(
      (found) => {
        if (found === 0) this.checked = undefined;
      },
      () => {
        this.checked = undefined;
      },
    );
    return this.checked;
  }

  /** Reads on a database no one has written to yet see an empty registry. */
  private async initialized(): Promise<boolean> {
    return (await this.schemaReady()) !== 0;
  }

  async schema(): Promise<SchemaStatus> {
    const pool = await this.pool();
    const current = await schemaVersion(pool).catch((err) => {
      throw pgError(err, this.settings, 'reading the registry schema');
    });
    return { current, supported: SCHEMA_VERSION };
  }

  /** `registry migrate` (and the first write to an empty database): bring the schema up to `target`. */
  async migrate(target = SCHEMA_VERSION): Promise<{ from: number; to: number }> {
    const client = await this.checkOut();
    let broken: Error | undefined;
    try {
      return await migrate(client, this.location, target);
    } catch (err) {
      // A client whose connection died must not go back to the pool.
      if (isConnectionLoss(err) || this.lostWith.has(client)) broken = err as Error;
      throw pgError(this.lostWith.get(client) ?? err, this.settings, 'migrating the registry schema');
    } finally {
      client.release(broken);
      this.checked = undefined;
    }
  }

  /** Refuses early what a write would refuse late: an old or newer schema, a role that may not write. */
  async checkWritable(option: string): Promise<void> {
    const tables = await this.schemaReady();
    const [{ ok }] = await this.q<{ ok: boolean }>(
      tables
        ? `SELECT bool_and(has_table_privilege(t, 'INSERT')) AS ok
             FROM unnest(ARRAY['mlops_blobs', 'mlops_blob_chunks', 'mlops_versions', 'mlops_events']) AS t`
        : `SELECT has_schema_privilege(current_schema(), 'CREATE') AS ok`,
      [],
      'checking the write permission',
    );
    if (!ok)
      throw new MlopsError(
        'REGISTRY_PERMISSION_DENIED',
        `${option}: permission denied: role "${this.settings.user}" may not ${tables ? 'register models in' : 'create the tables of'} the registry at ${this.location}`,
        { hint: 'registering needs the writer role; see docs/team-registry.md for the grants' },
      );
  }

  async listModels(): Promise<string[]> {
    if (!(await this.initialized())) return [];
    const rows = await this.q<{ name: string }>(
      'SELECT name FROM mlops_events GROUP BY name ORDER BY name COLLATE "C"',
      [],
      'listing models',
    );
    return rows.map((r) => r.name);
  }

  async readHistory(name: string): Promise<RegistryEvent[]> {
    if (!(await this.initialized())) return [];
    const rows = await this.q<{ event: RegistryEvent }>(
      'SELECT event FROM mlops_events WHERE name = $1 ORDER BY seq',
      [name],
      `reading the history of ${name}`,
    );
    return rows.map((r) => r.event);
  }

  async readPolicyHistory(): Promise<PolicyEvent[]> {
    if (!(await this.initialized())) return [];
    const rows = await this.q<{ event: PolicyEvent }>(
      'SELECT event FROM mlops_policy_events ORDER BY seq',
      [],
      'reading the alias policies',
    );
    return rows.map((r) => r.event);
  }

  async withLock<T>(fn: () => Promise<T>, staged?: StagedFile): Promise<T> {
    // A write to an empty database creates the tables first (their own transaction, under the migration lock).
    if ((await this.schemaReady()) === 0) await this.migrate();
    const pool = await this.pool();
    for (let attempt = 1; ; attempt++) {
      const client = await this.checkOut(pool);
      let broken: Error | undefined;
      let committing = false;
      try {
        await client.query('BEGIN');
        if (staged) {
          const source = this.staged.get(staged.id);
          if (!source) throw new Error(`staged file ${staged.id} is unknown to this store`);
          await uploadBlob(client, source, staged);
        }
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, WRITE_LOCK]);
        await failpoint('pg-after-lock');
        const result = await this.tx.run(client, fn);
        await failpoint('pg-before-commit');
        // A session the server already ended (paused past the idle limit) committed nothing: say so,
        // rather than "may or may not be recorded".
        const ended = this.lostWith.get(client);
        if (ended) throw ended;
        committing = true;
        await client.query('COMMIT');
        return result;
      } catch (err) {
        if (isConnectionLoss(err)) broken = err as Error;
        else await client.query('ROLLBACK').catch((e) => (broken = e as Error));
        if (committing && isConnectionLoss(err)) {
          throw new MlopsError(
            'REGISTRY_COMMIT_UNKNOWN',
            `the connection to PostgreSQL at ${this.settings.address} was lost while committing: the change may or may not be recorded`,
            { hint: 'look with mlops registry history <name> before running the command again', cause: err },
          );
        }
        if (isRetryable(err) && attempt < ATTEMPTS) {
          await new Promise((r) => setTimeout(r, 20 * attempt + Math.random() * 50));
          continue;
        }
        if (isRetryable(err)) {
          throw new MlopsError(
            'REGISTRY_BUSY',
            `PostgreSQL at ${this.settings.address} aborted this change ${ATTEMPTS} times (${(err as Error).message})`,
            { hint: 'nothing was changed; run the command again', cause: err },
          );
        }
        throw pgError(err, this.settings, 'writing to the registry');
      } finally {
        client.release(broken);
      }
    }
  }

  async stage(sourcePath: string): Promise<StagedFile> {
    const { stat } = await import('node:fs/promises');
    const [sha256, info] = await Promise.all([sha256File(sourcePath), stat(sourcePath)]);
    const id = randomBytes(8).toString('hex');
    this.staged.set(id, sourcePath);
    return { id, sha256, sizeBytes: info.size };
  }

  async discard(staged: StagedFile): Promise<void> {
    this.staged.delete(staged.id);
  }

  private inTransaction(what: string): PoolClient {
    const client = this.tx.getStore();
    if (!client) throw new Error(`${what} outside withLock`);
    return client;
  }

  async commitVersion(staged: StagedFile, record: VersionRecord): Promise<void> {
    this.inTransaction('commitVersion');
    try {
      await this.q(
        'INSERT INTO mlops_versions (name, version, sha256, file) VALUES ($1, $2, $3, $4)',
        [record.name, record.version, staged.sha256, record.file],
        `storing ${record.name}@${record.version}`,
      );
    } catch (err) {
      if ((err as { code?: string }).code === '23505' || (isMlopsError(err) && /23505/.test(String(err.cause))))
        throw new MlopsError('REGISTRY_CHANGED', `${record.name}@${record.version} already exists`, {
          hint: 'nothing was registered; run the command again (it takes the next free number)',
        });
      throw err;
    }
    this.staged.delete(staged.id);
  }

  async append(name: string, events: NewEvent[]): Promise<RegistryEvent[]> {
    this.inTransaction('append');
    const [{ last }] = await this.q<{ last: number }>(
      'SELECT coalesce(max(seq), 0)::int AS last FROM mlops_events WHERE name = $1',
      [name],
      `appending to the history of ${name}`,
    );
    let seq = last;
    const numbered = events.map((e) => ({ seq: ++seq, ...e }) as RegistryEvent);
    for (const event of numbered) {
      await this.q(
        'INSERT INTO mlops_events (name, seq, type, at, event) VALUES ($1, $2, $3, $4, $5)',
        [name, event.seq, event.type, event.at, JSON.stringify(event)],
        `appending to the history of ${name}`,
      );
    }
    return numbered;
  }

  async appendPolicy(events: NewPolicyEvent[]): Promise<PolicyEvent[]> {
    this.inTransaction('appendPolicy');
    const [{ last }] = await this.q<{ last: number }>(
      'SELECT coalesce(max(seq), 0)::int AS last FROM mlops_policy_events',
      [],
      'recording the alias policy',
    );
    let seq = last;
    const numbered = events.map((e) => ({ seq: ++seq, ...e }) as PolicyEvent);
    for (const event of numbered)
      await this.q(
        'INSERT INTO mlops_policy_events (seq, event) VALUES ($1, $2)',
        [event.seq, JSON.stringify(event)],
        'recording the alias policy',
      );
    return numbered;
  }

  filePath(record: StoredRecord): string {
    return cachedPath(record);
  }

  async materialize(record: StoredRecord): Promise<{ path: string; verified: boolean }> {
    const pool = await this.pool();
    const chunks = async function* (this: PostgresStore) {
      try {
        yield* blobChunks(pool, record.sha256);
      } catch (err) {
        throw pgError(err, this.settings, `downloading ${record.name}@${record.version}`);
      }
    }.bind(this);
    return { path: await ensureCached(record, chunks, this.location), verified: true };
  }

  async storedSha256(record: StoredRecord): Promise<{ where: string; sha256: string | null }> {
    const pool = await this.pool();
    const sha256 = await blobSha256(pool, record.sha256).catch((err) => {
      throw pgError(err, this.settings, `reading the bytes of ${record.name}@${record.version}`);
    });
    return { where: `blob ${record.sha256.slice(0, 12)}... in ${this.location}`, sha256 };
  }

  /** A transaction leaves nothing behind: there are no stray folders to find, set aside or settle. */
  async storedVersions(): Promise<StoredFolder[]> {
    return [];
  }

  async orphans(): Promise<string[]> {
    return [];
  }

  async setAside(name: string, version: number): Promise<string> {
    throw new Error(`setAside(${name}@${version}): a database registry has no version folders`);
  }

  async settleVersion(): Promise<void> {}

  /** The transaction's rollback takes the version back out. */
  async uncommitVersion(): Promise<void> {}

  async watchChanges(
    onChange: (names: string[] | null) => void,
    signal: AbortSignal,
    onError?: (err: unknown) => void,
  ): Promise<void> {
    const pg = await this.pg();
    await this.pool(); // the TLS choice, and a clear error when the server is not there at all
    const ssl = await this.chooseTls().catch(() => tlsOptions(this.settings));
    // One listener on the signal for the whole watch (one per reconnect would pile up).
    const aborted = new Promise<'aborted'>((resolve) => {
      if (signal.aborted) resolve('aborted');
      else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    let delay = 250;
    while (!signal.aborted) {
      const client: Client = new pg.Client({
        ...this.clientConfig(ssl),
        statement_timeout: 0,
        query_timeout: HEARTBEAT_MS,
      });
      let heartbeat: NodeJS.Timeout | undefined;
      const lost = new Promise<unknown>((resolve) => {
        client.on('error', resolve);
        client.on('end', () => resolve(new Error('Connection terminated')));
        // A network that drops packets silently would leave LISTEN waiting forever: ask now and then.
        heartbeat = setInterval(() => {
          client.query('SELECT 1').catch(resolve);
        }, HEARTBEAT_MS);
      });
      try {
        // Ctrl-C is not kept waiting by a server that does not answer.
        if ((await Promise.race([client.connect(), aborted])) === 'aborted') return;
        client.on('notification', (n) => {
          if (n.channel === CHANGES_CHANNEL && n.payload) onChange([n.payload]);
        });
        if ((await Promise.race([client.query(`LISTEN ${CHANGES_CHANNEL}`), aborted])) === 'aborted') return;
        delay = 250;
        // Changes made while we were not listening (before the first LISTEN, or while
        // reconnecting) were not notified: have everything read again.
        onChange(null);
        const err = await Promise.race([lost, aborted]);
        if (err === 'aborted') return;
        onError?.(pgError(err, this.settings, 'listening for changes'));
      } catch (err) {
        onError?.(pgError(err, this.settings, 'listening for changes'));
      } finally {
        clearInterval(heartbeat);
        client.end().catch(() => {});
      }
      let pause: NodeJS.Timeout | undefined;
      const paused = new Promise((r) => (pause = setTimeout(r, delay)));
      const ended = (await Promise.race([paused, aborted])) === 'aborted';
      clearTimeout(pause);
      if (ended) return;
      delay = Math.min(delay * 2, 5_000);
    }
  }

  async close(): Promise<void> {
    const pool = this.poolPromise;
    this.poolPromise = undefined;
    if (pool) await (await pool.catch(() => undefined))?.end();
  }
}
