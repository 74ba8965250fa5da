/**
 * Model bytes in PostgreSQL: content-addressed by sha256, CHUNK_BYTES per row.
 * Uploads and downloads go one chunk at a time, so memory holds a chunk or two
 * whatever the model's size.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { PoolClient } from 'pg';
import { MlopsError } from '../../util/errors.js';
import { failpoint } from '../../util/failpoint.js';
import { CHUNK_BYTES } from './schema.js';

type Queryable = Pick<PoolClient, 'query'>;

/**
 * Store the file's bytes as blob `sha256` inside the caller's transaction, unless
 * they are there already. A concurrent upload of the same bytes makes the row insert
 * wait for the other transaction: then either its blob is there, or ours goes in.
 */
export async function uploadBlob(
  db: Queryable,
  file: string,
  expected: { sha256: string; sizeBytes: number },
  lockTimeout: number,
): Promise<{ uploaded: boolean }> {
  const chunks = Math.ceil(expected.sizeBytes / CHUNK_BYTES);
  // The same bytes being uploaded by another transaction make this insert wait for that whole
  // upload: not a lock to give up on after lock_timeout (that transaction's own statement and
  // idle timeouts bound the wait).
  await db.query(`SET LOCAL lock_timeout = 0`);
  const inserted = await db.query(
    `INSERT INTO mlops_blobs (sha256, size_bytes, chunk_bytes, chunks) VALUES ($1, $2, $3, $4)
     ON CONFLICT (sha256) DO NOTHING RETURNING sha256`,
    [expected.sha256, expected.sizeBytes, CHUNK_BYTES, chunks],
  );
  await db.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeout}ms`]);
  if (inserted.rowCount === 0) return { uploaded: false };
  const hash = createHash('sha256');
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let total = 0;
    for (let n = 0; ; n++) {
      let filled = 0;
      while (filled < CHUNK_BYTES) {
        const { bytesRead } = await handle.read(buffer, filled, CHUNK_BYTES - filled, null);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled === 0) break;
      const chunk = buffer.subarray(0, filled);
      hash.update(chunk);
      total += filled;
      await db.query('INSERT INTO mlops_blob_chunks (sha256, n, data) VALUES ($1, $2, $3)', [
        expected.sha256,
        n,
        chunk,
      ]);
      if (n === 1) await failpoint('pg-upload-chunk');
      if (filled < CHUNK_BYTES) break;
    }
    if (total !== expected.sizeBytes || hash.digest('hex') !== expected.sha256) {
      throw new MlopsError('REGISTRY_SOURCE_CHANGED', `${file} changed while it was being registered`, {
        hint: 'nothing was registered; register it again once whatever writes it has finished',
      });
    }
  } finally {
    await handle.close();
  }
  return { uploaded: true };
}

/** Each chunk of a blob in order; none when the blob is missing. */
export async function* blobChunks(db: Queryable, sha256: string): AsyncGenerator<Buffer> {
  const head = await db.query<{ chunks: number }>('SELECT chunks FROM mlops_blobs WHERE sha256 = $1', [sha256]);
  if (!head.rows.length) return;
  for (let n = 0; n < head.rows[0].chunks; n++) {
    // base64 text: node-postgres decodes bytea from hex text (2 bytes per byte), which reads 100 MB
    // in 0.87 s here against 0.52 s for base64 (its line breaks are skipped by Buffer.from).
    const { rows } = await db.query<{ data: string }>(
      `SELECT encode(data, 'base64') AS data FROM mlops_blob_chunks WHERE sha256 = $1 AND n = $2`,
      [sha256, n],
    );
    // A missing chunk (rows deleted by hand) ends the blob early: its hash will not match.
    if (!rows.length) return;
    yield Buffer.from(rows[0].data, 'base64');
  }
}

/** The sha256 of what the database holds for a blob; null when there is no such blob. */
export async function blobSha256(db: Queryable, sha256: string): Promise<string | null> {
  const head = await db.query('SELECT 1 FROM mlops_blobs WHERE sha256 = $1', [sha256]);
  if (!head.rows.length) return null;
  const hash = createHash('sha256');
  for await (const chunk of blobChunks(db, sha256)) hash.update(chunk);
  return hash.digest('hex');
}
