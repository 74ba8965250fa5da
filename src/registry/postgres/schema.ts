/**
 * The registry's tables, in the connection's current schema (search_path).
 * SQL here stays within PostgreSQL 14. Migrations run in one transaction
 * under an advisory lock, so two processes never migrate at once;
 * `mlops_meta.schema_version` says how far a database is.
 *
 *   mlops_blobs          one row per distinct model file (sha256), its size and chunk count
 *   mlops_blob_chunks    the bytes, CHUNK_BYTES per row, so no file is ever whole in memory
 *   mlops_versions       (name, version) -> blob: a version cannot exist without its bytes
 *   mlops_events         every model's history: (name, seq) -> the event as JSON, as history.jsonl holds it
 *   mlops_policy_events  the registry-wide alias policy history
 */
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { MlopsError } from '../../util/errors.js';

export const CHUNK_BYTES = 1 << 20;
/** Both writers and migrations take this lock (pg_advisory_xact_lock(namespace, key)). */
export const LOCK_NAMESPACE = 0x6d6c6f70; // "mlop"
export const WRITE_LOCK = 1;
export const MIGRATE_LOCK = 2;
/**
 * LISTEN channel of the registry in `schema`: a trigger notifies the model's name on every
 * new event. One channel per schema, so teams sharing a database do not hear each other.
 */
export function changesChannel(schema: string): string {
  return `mlops_${createHash('md5').update(schema).digest('hex').slice(0, 16)}`;
}

const MIGRATIONS: string[] = [
  // 1: the tables.
  `CREATE TABLE mlops_meta (key text PRIMARY KEY, value text NOT NULL);
   CREATE TABLE mlops_blobs (
     sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
     size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
     chunk_bytes integer NOT NULL CHECK (chunk_bytes > 0),
     chunks integer NOT NULL CHECK (chunks >= 0),
     created_at timestamptz NOT NULL DEFAULT now());
   CREATE TABLE mlops_blob_chunks (
     sha256 text NOT NULL REFERENCES mlops_blobs (sha256) ON DELETE CASCADE,
     n integer NOT NULL CHECK (n >= 0),
     data bytea NOT NULL,
     PRIMARY KEY (sha256, n));
   -- Model weights do not compress: do not make the server try.
   ALTER TABLE mlops_blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
   CREATE TABLE mlops_versions (
     name text NOT NULL,
     version integer NOT NULL CHECK (version > 0),
     sha256 text NOT NULL REFERENCES mlops_blobs (sha256),
     file text NOT NULL,
     PRIMARY KEY (name, version));
   CREATE TABLE mlops_events (
     name text NOT NULL,
     seq integer NOT NULL CHECK (seq > 0),
     type text NOT NULL,
     at timestamptz NOT NULL DEFAULT now(),
     event json NOT NULL,
     PRIMARY KEY (name, seq));
   CREATE TABLE mlops_policy_events (
     seq integer PRIMARY KEY CHECK (seq > 0),
     event json NOT NULL);
   -- Tells two registries apart whatever URL reaches them (registry copy refuses one onto itself).
   INSERT INTO mlops_meta (key, value) VALUES ('registry_id', gen_random_uuid()::text);`,
  // 2: change notices for `registry watch` and `serve`, from the database itself, so every writer sends them.
  `CREATE FUNCTION mlops_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM pg_notify('mlops_' || left(md5(TG_TABLE_SCHEMA), 16), NEW.name);
     RETURN NULL;
   END $$;
   CREATE TRIGGER mlops_events_notify AFTER INSERT ON mlops_events
     FOR EACH ROW EXECUTE FUNCTION mlops_notify_change();
   CREATE INDEX mlops_versions_sha256 ON mlops_versions (sha256);`,
];

/** The schema this mlops reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

type Queryable = Pick<PoolClient, 'query'>;

/** 0 for a database without the registry's tables. */
export async function schemaVersion(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ meta: string | null; events: string | null }>(
    `SELECT to_regclass('mlops_meta')::text AS meta, to_regclass('mlops_events')::text AS events`,
  );
  if (!rows[0].meta) {
    if (!rows[0].events) return 0;
    // Tables without their schema version: never "empty", never initialized over.
    throw new MlopsError(
      'REGISTRY_CORRUPT',
      "the registry's tables are there but mlops_meta, which records their schema version, is missing",
      { hint: 'restore the database from a backup (or mlops registry copy from one); mlops does not guess a schema' },
    );
  }
  const meta = await db.query<{ value: string }>(`SELECT value FROM mlops_meta WHERE key = 'schema_version'`);
  return meta.rows.length ? Number(meta.rows[0].value) : 0;
}

export function schemaNewer(found: number, display: string): MlopsError {
  return new MlopsError(
    'REGISTRY_SCHEMA_NEWER',
    `the registry at ${display} has schema version ${found}, written by a newer mlops (this one knows up to ${SCHEMA_VERSION}); nothing was changed`,
    { hint: 'upgrade mlops on this machine (every client of a registry should run the same release)' },
  );
}

export function schemaOld(found: number, display: string): MlopsError {
  return new MlopsError(
    'REGISTRY_SCHEMA_OLD',
    `the registry at ${display} has schema version ${found}; this mlops needs ${SCHEMA_VERSION}`,
    {
      hint: `upgrade it once, with a role that may alter its tables: mlops registry migrate --registry ${display}`,
    },
  );
}

/**
 * Bring the schema from where it is to `target` (SCHEMA_VERSION unless a test
 * asks for less), all steps in one transaction, so no other client ever sees
 * a schema half way (a first write racing another first write would read
 * "version 1, needs 2"). The migration lock is a session lock taken before the
 * transaction begins: a transaction that began before the lock was granted
 * could still see the catalog as it was before the previous holder committed
 * ("relation mlops_meta already exists"). Returns [from, to]. Never touches a
 * newer schema.
 */
export async function migrate(
  client: PoolClient,
  display: string,
  target = SCHEMA_VERSION,
): Promise<{ from: number; to: number }> {
  await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, MIGRATE_LOCK]);
  try {
    await client.query('BEGIN');
    try {
      const from = await schemaVersion(client);
      if (from > SCHEMA_VERSION) throw schemaNewer(from, display);
      let now = from;
      for (; now < target; now++) await client.query(MIGRATIONS[now]);
      if (now !== from)
        await client.query(
          `INSERT INTO mlops_meta (key, value) VALUES ('schema_version', $1)
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
          [String(now)],
        );
      await client.query('COMMIT');
      return { from, to: now };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  } finally {
    // A lost connection took the lock with it; otherwise the pooled client must not keep it.
    await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, MIGRATE_LOCK]).catch(() => {});
  }
}
