/**
 * Connections to the registry's database: `pg` loaded on first use (a folder
 * registry never loads it), one pool per store, libpq's TLS negotiation, the
 * server-side timeouts, and clients that say why the server dropped them.
 */
import type { Client, Pool, PoolClient } from 'pg';
import { MlopsError } from '../../util/errors.js';
import { type ConnectionSettings, tlsOptions } from './connection.js';
import { pgError } from './pg-errors.js';

type PgModule = typeof import('pg');

/** What a connection of this store needs beyond the settings: decided once per process. */
export interface Session {
  ssl: false | Record<string, unknown>;
  /** The schema the registry's tables are in (null only while probing). */
  schema: string | null;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A value inside libpq's `options` (backslash escapes spaces and backslashes). */
function optionValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/ /g, '\\ ');
}

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

export class PgConnector {
  private poolPromise: Promise<Pool> | undefined;
  private sessionPromise: Promise<Session> | undefined;
  private pgModule: Promise<PgModule> | undefined;
  /**
   * Why the server ended a checked-out client's session (an idle-in-transaction timeout, an
   * administrator's terminate): the next query only says "not queryable", this says why.
   */
  readonly lostWith = new WeakMap<PoolClient, unknown>();

  constructor(readonly settings: ConnectionSettings) {}

  pg(): Promise<PgModule> {
    this.pgModule ??= import('pg').then((m) => (m as unknown as { default: PgModule }).default ?? m);
    return this.pgModule;
  }

  /** Settings for one connection: with `session`, its TLS choice and the registry's schema pinned. */
  clientConfig(session: Session) {
    const s = this.settings;
    // Only the current schema: unqualified names must never resolve to another schema of the
    // search_path (another team's registry, or public's).
    const options = [s.options, session.schema ? `-c search_path=${optionValue(quoteIdent(session.schema))}` : '']
      .filter(Boolean)
      .join(' ');
    return {
      host: s.host,
      port: s.port,
      user: s.user,
      database: s.database,
      password: s.password ?? '',
      ssl: session.ssl,
      ...(options ? { options } : {}),
      application_name: 'mlops',
      connectionTimeoutMillis: 10_000,
      ...serverTimeouts(),
    };
  }

  /**
   * One probe connection per process: libpq's prefer/allow (TLS when the server offers it,
   * plain otherwise) and the schema the registry lives in (the first of search_path that exists).
   */
  session(): Promise<Session> {
    this.sessionPromise ??= (async () => {
      const pg = await this.pg();
      const tls = tlsOptions(this.settings);
      const connect = async (ssl: Session['ssl']) => {
        const client = new pg.Client(this.clientConfig({ ssl, schema: null }));
        client.on('error', () => {});
        await client.connect();
        return client;
      };
      let ssl = tls;
      let probe: Client;
      try {
        probe = await connect(tls);
      } catch (err) {
        // libpq's prefer retries without TLS when the TLS attempt fails, whatever the reason.
        const prefer = this.settings.sslMode === 'prefer' || this.settings.sslMode === 'allow';
        if (!(prefer && tls && /SSL|TLS/i.test((err as Error).message ?? ''))) throw err;
        ssl = false;
        probe = await connect(false);
      }
      try {
        const { rows } = await probe.query<{ schema: string | null; path: string }>(
          'SELECT current_schema() AS schema, current_setting($1) AS path',
          ['search_path'],
        );
        if (!rows[0].schema) {
          throw new MlopsError(
            'REGISTRY_SCHEMA_MISSING',
            `the registry at ${this.settings.display} has no schema to live in: search_path (${rows[0].path}) names no schema that exists`,
            {
              hint: 'create the schema (CREATE SCHEMA <name> AUTHORIZATION <owner>), or fix search_path (options=-csearch_path%3D<name> in the URL, PGOPTIONS, or ALTER ROLE ... SET search_path)',
            },
          );
        }
        return { ssl, schema: rows[0].schema };
      } finally {
        await probe.end().catch(() => {});
      }
    })();
    this.sessionPromise.catch(() => {
      this.sessionPromise = undefined;
    });
    return this.sessionPromise;
  }

  pool(): Promise<Pool> {
    this.poolPromise ??= (async () => {
      const pg = await this.pg();
      const pool = new pg.Pool({ ...this.clientConfig(await this.session()), max: 4, allowExitOnIdle: true });
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
  async checkOut(pool?: Pool): Promise<PoolClient> {
    const client = await (pool ?? (await this.pool())).connect().catch((err) => {
      throw pgError(err, this.settings, 'connecting');
    });
    if (client.listenerCount('error') === 0)
      client.on('error', (err) => {
        if (!this.lostWith.has(client)) this.lostWith.set(client, err);
      });
    return client;
  }

  async close(): Promise<void> {
    const pool = this.poolPromise;
    this.poolPromise = undefined;
    if (pool) await (await pool.catch(() => undefined))?.end();
  }
}
