/**
 * The registry in PostgreSQL (`--registry postgres://...`): the same events as
 * the folder store's history.jsonl, as rows; model bytes as chunked,
 * content-addressed blobs. A write is one transaction: the blob's chunks go in
 * first, then the registry-wide advisory lock is taken, the state re-read,
 * checked and changed, and everything commits together. A killed client's
 * transaction is rolled back by the server: nothing to clean, nothing visible.
 *
 * `pg` is imported on first use (pg-connect.ts), so a folder registry never loads it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { PoolClient, QueryResultRow } from 'pg';
import { isMlopsError, MlopsError } from '../../util/errors.js';
import { sha256File } from '../../util/hash.js';
import type { RegistryStore, SchemaStatus, StagedFile, StoredFolder, StoredRecord } from '../store.js';
import type { NewEvent, NewPolicyEvent, PolicyEvent, RegistryEvent, VersionRecord } from '../types.js';
import { checkEvents } from '../history-lines.js';
import { blobChunks, blobSha256 } from './blobs.js';
import { type ConnectionSettings, connectionSettings } from './connection.js';
import { cachedPath, ensureCached } from './model-cache.js';
import { PgConnector } from './pg-connect.js';
import { isConnectionLoss, pgError } from './pg-errors.js';
import { listenForChanges } from './pg-listen.js';
import { writeTransaction } from './pg-transaction.js';
import { migrate, SCHEMA_VERSION, schemaNewer, schemaOld, schemaVersion } from './schema.js';

export class PostgresStore implements RegistryStore {
  readonly settings: ConnectionSettings;
  /** The transaction client of the `withLock` this call runs in, if any. */
  private readonly tx = new AsyncLocalStorage<PoolClient>();
  /** Source paths of staged files: the bytes are read again inside the write transaction. */
  private readonly staged = new Map<string, string>();
  private checked: Promise<number> | undefined;
  private readonly db: PgConnector;

  constructor(url: string) {
    this.settings = connectionSettings(url);
    this.db = new PgConnector(this.settings);
  }

  get location(): string {
    return this.settings.display;
  }

  /** A query on the current transaction, or on the pool. */
  private async q<R extends QueryResultRow>(text: string, values: unknown[], doing: string): Promise<R[]> {
    const client = this.tx.getStore();
    const db = client ?? (await this.db.pool());
    try {
      return (await db.query<R>(text, values)).rows;
    } catch (err) {
      throw pgError((client && this.db.lostWith.get(client)) ?? err, this.settings, doing);
    }
  }

  /** The schema this database has: 0 (empty) or SCHEMA_VERSION; anything else is refused. */
  private schemaReady(): Promise<number> {
    this.checked ??= (async () => {
      const pool = await this.db.pool();
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
    const pool = await this.db.pool();
    const current = await schemaVersion(pool).catch((err) => {
      throw pgError(err, this.settings, 'reading the registry schema');
    });
    return { current, supported: SCHEMA_VERSION };
  }

  /** `registry migrate` (and the first write to an empty database): bring the schema up to `target`. */
  async migrate(target = SCHEMA_VERSION): Promise<{ from: number; to: number }> {
    const client = await this.db.checkOut();
    let broken: Error | undefined;
    try {
      return await migrate(client, this.location, target);
    } catch (err) {
      // A client whose connection died must not go back to the pool.
      if (isConnectionLoss(err) || this.db.lostWith.has(client)) broken = err as Error;
      throw pgError(this.db.lostWith.get(client) ?? err, this.settings, 'migrating the registry schema');
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

  /** The id recorded when the tables were made; null for an empty database. */
  async registryId(): Promise<string | null> {
    if (!(await this.initialized())) return null;
    const rows = await this.q<{ value: string }>(
      `SELECT value FROM mlops_meta WHERE key = 'registry_id'`,
      [],
      'reading the registry id',
    );
    return rows[0]?.value ?? null;
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
    // The same rules as a history file's lines: a row a hand (or a leaked writer role) made is damage, not a path.
    return checkEvents<RegistryEvent>(
      rows.map((r) => r.event),
      `${this.location}#mlops_events/${name}`,
    );
  }

  async readPolicyHistory(): Promise<PolicyEvent[]> {
    if (!(await this.initialized())) return [];
    const rows = await this.q<{ event: PolicyEvent }>(
      'SELECT event FROM mlops_policy_events ORDER BY seq',
      [],
      'reading the alias policies',
    );
    return checkEvents<PolicyEvent>(
      rows.map((r) => r.event),
      `${this.location}#mlops_policy_events`,
      'policies',
    );
  }

  async withLock<T>(fn: () => Promise<T>, staged?: StagedFile): Promise<T> {
    // A write to an empty database creates the tables first (their own transaction, under the migration lock).
    if ((await this.schemaReady()) === 0) await this.migrate();
    const source = staged && this.staged.get(staged.id);
    if (staged && !source) throw new Error(`staged file ${staged.id} is unknown to this store`);
    return writeTransaction(this.db, this.tx, fn, staged && source ? { source, staged } : undefined);
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
      refuseRaced(err, `${record.name}@${record.version}`);
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
      ).catch((err) => refuseRaced(err, `event ${event.seq} of ${name}`));
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
      ).catch((err) => refuseRaced(err, `alias policy change ${event.seq}`));
    return numbered;
  }

  filePath(record: StoredRecord): string {
    return cachedPath(record);
  }

  async materialize(record: StoredRecord): Promise<{ path: string; verified: boolean }> {
    const pool = await this.db.pool();
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
    const pool = await this.db.pool();
    const sha256 = await blobSha256(pool, record.sha256).catch((err) => {
      throw pgError(err, this.settings, `reading the bytes of ${record.name}@${record.version}`);
    });
    return { where: `blob ${record.sha256.slice(0, 12)}... in ${this.location}`, sha256 };
  }

  readonly listsEveryVersion = true;

  /**
   * The version rows. A transaction leaves no stray rows: one without a register event was
   * made by hand (verify fails on it; register numbers above it, as above a stray folder).
   */
  async storedVersions(name: string): Promise<StoredFolder[]> {
    if (!(await this.initialized())) return [];
    const rows = await this.q<{ version: number; sha256: string }>(
      'SELECT version, sha256 FROM mlops_versions WHERE name = $1 ORDER BY version',
      [name],
      `reading the versions of ${name}`,
    );
    return rows.map(({ version, sha256 }) => {
      const where = `${this.location}#mlops_versions/${name}/${version}`;
      return {
        version,
        path: where,
        pending: false,
        complete: true,
        sha256,
        detail: `${where} points at blob ${sha256.slice(0, 12)}... but no register event records ${name}@${version} (edited by hand?). New versions are numbered above it; restore the database from a backup to recover it`,
      };
    });
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
    return listenForChanges(this.db, onChange, signal, onError);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/**
 * A unique key taken by another writer: under the advisory lock this cannot happen
 * unless a writer ignored the lock (an older client, a hand edit); nothing was written.
 */
function refuseRaced(err: unknown, what: string): never {
  const cause = isMlopsError(err) ? err.cause : err;
  if ((cause as { code?: string } | undefined)?.code === '23505')
    throw new MlopsError('REGISTRY_CHANGED', `${what} was written by another writer at the same time`, {
      hint: 'nothing was changed; run the command again',
      cause: err,
    });
  throw err;
}
