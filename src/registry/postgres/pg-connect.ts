/**
 * Connections to the registry's database: `pg` loaded on first use (a folder
 * registry never loads it), one pool per store, libpq's TLS negotiation, the
 * server-side timeouts, and clients that say why the server dropped them.
 */
import type { Pool, PoolClient } from 'pg';
import { type ConnectionSettings, tlsOptions } from './connection.js';
import { pgError } from './pg-errors.js';

type PgModule = typeof import('pg');

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

  clientConfig(ssl: false | Record<string, unknown>) {
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
  async chooseTls(): Promise<false | Record<string, unknown>> {
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

  pool(): Promise<Pool> {
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
