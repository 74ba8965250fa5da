/**
 * One write to the registry: BEGIN; the staged file's chunks (content-addressed,
 * so identical bytes insert nothing); the registry-wide advisory lock; `fn`,
 * which re-reads the state, checks and appends on this transaction's client;
 * COMMIT. The upload comes before the lock so parallel registers of large
 * models do not wait for each other's bytes. A serialization failure or deadlock
 * runs it all again, ATTEMPTS times in all.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { PoolClient } from 'pg';
import { MlopsError } from '../../util/errors.js';
import { failpoint } from '../../util/failpoint.js';
import type { StagedFile } from '../store.js';
import { uploadBlob } from './blobs.js';
import { type PgConnector, serverTimeouts } from './pg-connect.js';
import { isConnectionLoss, isRetryable, pgError } from './pg-errors.js';
import { LOCK_NAMESPACE, WRITE_LOCK } from './schema.js';

/** A transaction that fails with a serialization failure or deadlock is run again, this many times in all. */
const ATTEMPTS = 4;

export async function writeTransaction<T>(
  db: PgConnector,
  tx: AsyncLocalStorage<PoolClient>,
  fn: () => Promise<T>,
  upload?: { source: string; staged: StagedFile },
): Promise<T> {
  const pool = await db.pool();
  for (let attempt = 1; ; attempt++) {
    const client = await db.checkOut(pool);
    let broken: Error | undefined;
    let committing = false;
    try {
      // Each statement must see what committed before it, above all after the lock wait: a database
      // or role whose default is REPEATABLE READ would take the snapshot before the lock.
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      if (upload) await uploadBlob(client, upload.source, upload.staged, serverTimeouts().lock_timeout);
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, WRITE_LOCK]);
      await failpoint('pg-after-lock');
      const result = await tx.run(client, fn);
      await failpoint('pg-before-commit');
      // A session the server already ended (paused past the idle limit) committed nothing: say so,
      // rather than "may or may not be recorded".
      const ended = db.lostWith.get(client);
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
          `the connection to PostgreSQL at ${db.settings.address} was lost while committing: the change may or may not be recorded`,
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
          `PostgreSQL at ${db.settings.address} aborted this change ${ATTEMPTS} times (${(err as Error).message})`,
          { hint: 'nothing was changed; run the command again', cause: err },
        );
      }
      throw pgError(err, db.settings, 'writing to the registry');
    } finally {
      client.release(broken);
    }
  }
}
